// Compressed JavaScript each first page of the portal loads: the entry, its static imports and the
// screen's own chunk (from Vite's manifest), gzip level 9. `npx tsx scripts/bundle-size.ts` prints it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PORTAL_DIST } from '../src/platform/static.ts';

type Chunk = { file: string; isEntry?: boolean; imports?: string[]; dynamicImports?: string[]; css?: string[] };

export function firstPageBytes(screen: string, dist = PORTAL_DIST): { files: string[]; raw: number; gzip: number } {
  const manifest = JSON.parse(readFileSync(join(dist, '.vite/manifest.json'), 'utf8')) as Record<string, Chunk>;
  const entry = Object.keys(manifest).find((k) => manifest[k].isEntry)!;
  const seen = new Set<string>();
  const visit = (key: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    for (const i of manifest[key].imports ?? []) visit(i);
  };
  visit(entry);
  visit(screen);
  const files = [...seen].map((k) => manifest[k].file);
  let raw = 0;
  let gzip = 0;
  for (const f of files) {
    const bytes = readFileSync(join(dist, f));
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
  }
  return { files, raw, gzip };
}

export const PATIENT_FIRST_PAGES = ['src/pages/public/SignIn.tsx', 'src/pages/public/Doctors.tsx', 'src/pages/patient/Appointments.tsx'];

if (import.meta.url === `file://${process.argv[1]}`) {
  const manifest = JSON.parse(readFileSync(join(PORTAL_DIST, '.vite/manifest.json'), 'utf8')) as Record<string, Chunk>;
  for (const key of Object.keys(manifest)
    .filter((k) => k.startsWith('src/pages/'))
    .sort()) {
    const r = firstPageBytes(key);
    console.log(`${key.padEnd(40)} ${(r.raw / 1024).toFixed(1).padStart(6)} KB raw ${(r.gzip / 1024).toFixed(1).padStart(6)} KB gzip`);
  }
}
