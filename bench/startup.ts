// Start-up time and memory of `npm start` (issue 23): the compiled server (dist/server.js, as `npm start`
// runs it) spawned again and again on an already migrated database; for each start, the time from the spawn
// to its "Telecare is serving" log line (written once it listens, src/server.ts) and its resident memory
// (VmRSS of /proc) at that moment; min and median of the repeats. Build first: npm run build:server.
// Several builds (STARTUP_ENTRIES, comma-separated, e.g. an older build copied to dist-before/) are started
// in turn, one start of each per round, so that the machine's load falls on all of them alike.
// Usage: tsx bench/startup.ts   (embedded engine; plus PostgreSQL when DATABASE_URL is set, in a scratch
//        database created and dropped there)   env: STARTUP_REPEATS (default 7), STARTUP_ENTRIES (default dist/server.js)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openAndMigrate, pgliteDirFor } from '../src/platform/db/index.ts';
import { createScratchDatabase } from '../src/platform/db/scratch.ts';
import { freePort } from './lib.ts';

const ROOT = resolve(import.meta.dirname, '..');
const REPEATS = Number(process.env.STARTUP_REPEATS ?? 7);
const ENTRIES = (process.env.STARTUP_ENTRIES ?? 'dist/server.js').split(',').map((e) => resolve(ROOT, e.trim()));

interface Start {
  readyMs: number;
  rssMiB: number;
}

/** One start: spawn → the "serving" line; RSS read at once; then SIGTERM and wait for the exit. */
async function once(entry: string, env: Record<string, string>): Promise<Start> {
  const port = freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--enable-source-maps', entry], {
    cwd: ROOT,
    env: {
      ...process.env,
      LOG_LEVEL: 'info',
      METRICS_PORT: 'off',
      DATABASE_ROLE_CHECK: 'off',
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let out = '';
  const ready = await new Promise<Start>((resolveStart, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      if (!out.includes('"msg":"Telecare is serving"')) return;
      const readyMs = performance.now() - t0;
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kib = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]);
      child.stdout!.off('data', onData);
      resolveStart({ readyMs, rssMiB: kib / 1024 });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d));
    child.once('exit', (code) => reject(new Error(`server exited ${code} before serving: ${out}`)));
  });
  child.kill('SIGTERM');
  await exited;
  return ready;
}

function stats(xs: number[]): { min: number; median: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0]!, median: s[Math.floor(s.length / 2)]! };
}

async function measure(engine: string, env: Record<string, string>): Promise<void> {
  // Warm: the file system cache, and on PostgreSQL the first connection's catalogue reads.
  for (const entry of ENTRIES) await once(entry, env);
  const starts = ENTRIES.map(() => [] as Start[]);
  for (let i = 0; i < REPEATS; i++) for (const [j, entry] of ENTRIES.entries()) starts[j]!.push(await once(entry, env));
  for (const [j, entry] of ENTRIES.entries()) {
    const ready = stats(starts[j]!.map((s) => s.readyMs));
    const rss = stats(starts[j]!.map((s) => s.rssMiB));
    console.log(
      `| ${engine} | ${relative(ROOT, entry)} | ${ready.min.toFixed(0)} / ${ready.median.toFixed(0)} ms | ${rss.min.toFixed(1)} / ${rss.median.toFixed(1)} MiB | ${REPEATS} |`,
    );
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'telecare-bench-startup-'));
try {
  console.log(`Node ${process.version}`);
  console.log('| engine | build | ready (min / median) | RSS at ready (min / median) | starts |');
  console.log('| --- | --- | --- | --- | --- |');
  // Migrated before the first start, so every measured start opens a database that is up to date.
  const embedded = await openAndMigrate({ databaseUrl: null, pgliteDir: pgliteDirFor(dataDir) });
  await embedded.close();
  await measure('embedded (PGlite)', { DATA_DIR: dataDir });
  if (process.env.DATABASE_URL) {
    const scratch = await createScratchDatabase(process.env.DATABASE_URL, 'tc_bench_startup');
    try {
      const server = await openAndMigrate({ databaseUrl: scratch.url, pgliteDir: '' });
      await server.close();
      await measure('PostgreSQL', { DATA_DIR: dataDir, DATABASE_URL: scratch.url });
    } finally {
      await scratch.drop();
    }
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
