import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// Built into web/dist by `npm run build:web` (run by `prepare`, so `npm ci` leaves a servable portal).
export default defineConfig({
  root: import.meta.dirname,
  plugins: [preact()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The CSP forbids inline code, and a data: URL for a small asset would be inline too.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
    // Read by scripts/bundle-size.ts and its test: what a first page loads, compressed.
    manifest: true,
  },
  server: { proxy: { '/api': { target: 'http://127.0.0.1:3000', ws: true } } },
});
