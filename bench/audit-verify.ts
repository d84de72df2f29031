// Measures `audit verify` on a trail of 100,000 events: seeds them through the chain trigger (one
// INSERT … SELECT, each row chained by the database as any event is), then runs the CLI as an
// operator would, BENCH_RUNS times, and reports each run's count and throughput (min and median), and the
// verifier's peak memory.
// Usage: tsx bench/audit-verify.ts [postgres://…/db]   (no URL: embedded PGlite in a temp data directory)
//        env: BENCH_EVENTS (default 100000), BENCH_RUNS (default 3)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { openAndMigrate, pgliteDirFor } from '../src/platform/db/index.ts';
import { createScratchDatabase } from '../src/platform/db/scratch.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const events = Number(process.env.BENCH_EVENTS ?? 100_000);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const adminUrl = process.argv[2] ?? null;

const dataDir = mkdtempSync(join(tmpdir(), 'telecare-verify-bench-'));
const scratch = adminUrl ? await createScratchDatabase(adminUrl, 'tc_verify') : null;
try {
  const database = await openAndMigrate({ databaseUrl: scratch?.url ?? null, pgliteDir: pgliteDirFor(dataDir) });
  const seeded = performance.now();
  // 100 rows per statement: each chained row updates the one head row, and row versions made inside one
  // transaction cannot be pruned before it ends, so large single statements slow down quadratically.
  for (let done = 0; done < events; done += 100) {
    const n = Math.min(100, events - done);
    await database.rows(sql`
      INSERT INTO audit_events (actor_id, actor_role, action, resource_type, resource_id, patient_id, outcome, ip, request_id)
      SELECT gen_random_uuid(), 'DOCTOR', 'patient.read', 'patient', gen_random_uuid()::text, gen_random_uuid(), 'SUCCESS', '10.0.0.1', 'bench-' || g
      FROM generate_series(1, ${n}) g`);
  }
  const seedSeconds = (performance.now() - seeded) / 1000;
  await database.close();

  const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...(scratch ? { DATABASE_URL: scratch.url } : {}) };
  const results: {
    cliExit: number | null;
    cliOutput: string;
    verifySeconds: number;
    eventsPerSecond: number;
    cliWallSecondsIncludingStartup: number;
    cliMaxRssMiB: number;
  }[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const r = spawnSync('/usr/bin/time', ['-f', 'maxrss_kib=%M', process.execPath, '--import', 'tsx', 'src/cli.ts', 'audit', 'verify'], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
    });
    const wall = (performance.now() - started) / 1000;
    const out = r.stdout.trim() || r.stderr.trim();
    results.push({
      cliExit: r.status,
      cliOutput: out.split('\n')[0],
      verifySeconds: Number(/verified in ([0-9.]+) s/.exec(out)?.[1] ?? NaN),
      eventsPerSecond: Number(/\(([0-9]+) events\/s\)/.exec(out)?.[1] ?? NaN),
      cliWallSecondsIncludingStartup: Number(wall.toFixed(2)),
      cliMaxRssMiB: Math.round(Number(/maxrss_kib=(\d+)/.exec(r.stderr)?.[1] ?? 0) / 1024),
    });
  }
  const sorted = (k: 'verifySeconds' | 'eventsPerSecond') => results.map((r) => r[k]).sort((a, b) => a - b);
  const median = (xs: number[]) => xs[Math.floor(xs.length / 2)];
  console.log(
    JSON.stringify(
      {
        engine: scratch ? 'postgres' : 'pglite',
        events,
        seedSeconds: Number(seedSeconds.toFixed(1)),
        runs: results,
        verifySeconds: { min: sorted('verifySeconds')[0], median: median(sorted('verifySeconds')) },
        eventsPerSecond: { max: sorted('eventsPerSecond').at(-1), median: median(sorted('eventsPerSecond')) },
      },
      null,
      2,
    ),
  );
} finally {
  await scratch?.drop();
  rmSync(dataDir, { recursive: true, force: true });
}
