// Builds the web portal into web/dist. Run by `prepare`, so `npm ci` leaves a portal that `npm start`
// serves with no other step. With dev dependencies omitted (`npm ci --omit=dev`) there is no Vite:
// the build is skipped with a note and the server serves the API alone.
import { existsSync } from 'node:fs';
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
console.log(`build-web: portal built into web/dist in ${((Date.now() - started) / 1000).toFixed(1)} s`);
