// Builds the web portal into web/dist. Run by `prepare`, so `npm ci` leaves a portal that `npm start`
// serves with no other step. With dev dependencies omitted (`npm ci --omit=dev`) there is no Vite:
// the build is skipped with a note and the server serves the API alone.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let vite;
try {
  vite = await import('vite');
} catch {
  console.warn('build-web: Vite is not installed (dev dependencies omitted?); the portal is not built.');
  process.exit(0);
}
if (!existsSync(join(root, 'web/index.html'))) process.exit(0);
const started = Date.now();
await vite.build({ configFile: join(root, 'web/vite.config.ts'), logLevel: 'warn' });

// Precompressed beside each text asset (brotli at its best quality, gzip level 9): the server sends the
// smallest one the browser accepts (@fastify/static's preCompressed) without compressing on every request.
const assets = join(root, 'web/dist/assets');
let raw = 0;
let br = 0;
for (const name of readdirSync(assets)) {
  if (!/\.(js|css|svg|json|txt|map)$/.test(name)) continue;
  const bytes = readFileSync(join(assets, name));
  const brotli = brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  });
  writeFileSync(join(assets, `${name}.br`), brotli);
  writeFileSync(join(assets, `${name}.gz`), gzipSync(bytes, { level: 9 }));
  raw += bytes.length;
  br += brotli.length;
}
console.log(
  `build-web: portal built into web/dist in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
    `(text assets ${(raw / 1024).toFixed(0)} KB, ${(br / 1024).toFixed(0)} KB brotli)`,
);
