// Attachment storage, measured (issue 28): upload and download MB/s through the API ÷ a plain file copy of the
// same bytes on the same machine, and the process's RSS while ten 15 MB downloads run at once.
// `npx tsx bench/attachments.ts` (embedded engine), or with TEST_DATABASE_URL=postgres://… (a server).
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { build, createPatient } from '../test/helpers.ts';
import { upload } from '../test/fixtures/attachments.ts';

const MB = 1024 * 1024;
const SIZE = 15 * MB;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const app = await build();
const patient = await createPatient(app);
const dir = await mkdtemp(join(tmpdir(), 'attachments-bench-'));
const file = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(SIZE - 9)]);
const src = join(dir, 'a.pdf');
await writeFile(src, file);

// The baseline: a plain copy of the same bytes, file to file.
let t = performance.now();
for (let i = 0; i < ROUNDS; i++) await copyFile(src, join(dir, `copy-${i}.pdf`));
const copyMBs = (ROUNDS * SIZE) / MB / ((performance.now() - t) / 1000);

t = performance.now();
let id = '';
for (let i = 0; i < ROUNDS; i++) {
  const res = await upload(app, patient, file, 'bench.pdf');
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${res.text}`);
  id = res.body.id;
}
const uploadMBs = (ROUNDS * SIZE) / MB / ((performance.now() - t) / 1000);

async function drain(): Promise<number> {
  const res = await fetch(`${app.url}/api/v1/attachments/${id}`, { headers: { authorization: `Bearer ${patient.token}` } });
  let n = 0;
  for await (const piece of res.body!) n += (piece as Uint8Array).length;
  if (n !== SIZE) throw new Error(`download: ${n} bytes`);
  return n;
}

t = performance.now();
for (let i = 0; i < ROUNDS; i++) await drain();
const downloadMBs = (ROUNDS * SIZE) / MB / ((performance.now() - t) / 1000);

global.gc?.();
const baseline = process.memoryUsage().rss;
let peak = baseline;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
t = performance.now();
await Promise.all(Array.from({ length: 10 }, drain));
const tenSeconds = (performance.now() - t) / 1000;
clearInterval(sampler);

const row = (k: string, v: string) => console.log(`${k.padEnd(46)} ${v}`);
row('engine', process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite');
row('plain file copy (MB/s)', copyMBs.toFixed(0));
row('upload through the API (MB/s) ÷ copy', `${uploadMBs.toFixed(1)} (${(uploadMBs / copyMBs).toFixed(3)})`);
row('download through the API (MB/s) ÷ copy', `${downloadMBs.toFixed(1)} (${(downloadMBs / copyMBs).toFixed(3)})`);
row('ten 15 MB downloads at once: seconds', tenSeconds.toFixed(2));
row(
  'RSS before / peak during the ten (MB)',
  `${(baseline / MB).toFixed(0)} / ${(peak / MB).toFixed(0)} (+${((peak - baseline) / MB).toFixed(0)})`,
);

await app.close();
await rm(dir, { recursive: true, force: true });
process.exit(0);
