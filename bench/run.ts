// npm run bench: for the embedded engine, and with DATABASE_URL also for that PostgreSQL server (in a
// fresh database created here and dropped afterwards), seeds data, starts the API and a bare Fastify/ws
// "ceiling" as child processes, loads them with autocannon from this process, and prints one table of
// ratios. The table is also written into bench/README.md. The API runs with RATE_LIMIT_MAX=0: the
// benchmark's own configuration, through the same environment variable an operator would use.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { loadConfig } from '../src/platform/config.ts';
import { createScratchDatabase } from '../src/platform/db/scratch.ts';
import { openAndMigrate, openDatabase, pgliteDirFor } from '../src/platform/db/index.ts';
import { Passwords } from '../src/platform/passwords.ts';
import { fmt, freePort, ratio, SECONDS, startChild } from './lib.ts';
import { PASSWORD, seed } from './seed.ts';
import * as sc from './scenarios.ts';
import { runHashFlood } from './hash-flood.ts';
import { runEnumeration } from './enumeration.ts';

type Engine = 'embedded (PGlite)' | 'PostgreSQL';
const HASH_FLOOD = 'hash flood: login p99 during 20/s taken-name sign-ups + unknown-token resets ÷ alone';
const ENUMERATION = 'enumeration: forgot-password / resend-verification, registered − unknown address (median of paired ms)';
const BOOKING = 'booking: bookings/s (50 clients, distinct slots) ÷ raw driver INSERT';
const results = new Map<string, Map<Engine, string>>();
const order: string[] = [];
function record(engine: Engine, rows: sc.Row[]) {
  for (const r of rows) {
    if (!results.has(r.scenario)) {
      results.set(r.scenario, new Map());
      order.push(r.scenario);
    }
    results.get(r.scenario)!.set(engine, r.value);
  }
}

/** BENCH_ONLY=export,login: only the rows starting with one of these (a quick look; the README is left as is). */
const ONLY = (process.env.BENCH_ONLY ?? '')
  .split(',')
  .map((x) => x.trim())
  .filter(Boolean);
const wanted = (names: string[]) => !ONLY.length || names.some((n) => ONLY.some((o) => n.startsWith(o)));

/** Runs a scenario; a failure (e.g. an endpoint missing from this tree) becomes a cell, not an abort. */
async function attempt(engine: Engine, names: string[], fn: () => Promise<sc.Row[]>) {
  if (!wanted(names)) return;
  try {
    record(engine, await fn());
  } catch (err) {
    const msg = (err as Error).message;
    const missing = /→ 404/.test(msg) ? 'n/a (endpoint missing)' : `failed: ${msg.slice(0, 80)}`;
    record(
      engine,
      names.map((scenario) => ({ scenario, value: missing })),
    );
    console.error(`[${engine}] ${names[0]}: ${msg}`);
  }
}

async function runEngine(engine: Engine, serverUrl: string | null) {
  const dataDir = mkdtempSync(join(tmpdir(), 'telecare-bench-'));
  const scratch = serverUrl ? await createScratchDatabase(serverUrl, 'bench') : null;
  const databaseUrl = scratch?.url ?? '';
  const dropDb = async () => {
    await scratch?.drop();
  };
  const t0 = Date.now();
  const jwtSecret = randomBytes(32).toString('hex');
  // Hashes with the parameters the server is configured with (the OWASP default unless ARGON2_* say otherwise).
  const hash = await new Passwords(loadConfig(process.env).argon2).hash(PASSWORD);
  const db = await openAndMigrate({ databaseUrl: databaseUrl || null, pgliteDir: pgliteDirFor(dataDir) });
  const seeded = await seed(db, hash, jwtSecret);
  await db.close();
  console.error(`[${engine}] seeded in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

  const controlPort = freePort();
  const env = {
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    JWT_SECRET: jwtSecret,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_MAX: '0',
    BOOKING_MAX_OPEN: '10000',
    BOOKING_MAX_OPEN_PER_DOCTOR: '10000',
    BENCH_CONTROL_PORT: String(controlPort),
    SMTP_URL: '',
  };
  const app = await startChild('bench/bench-server.ts', env, freePort(), ['--expose-gc']);
  const ceiling = await startChild('bench/ceiling-server.ts', {}, freePort());
  let bookingRps = Number.NaN;
  try {
    // Real time first: its RSS figure needs a process whose heap the other loads have not yet grown.
    await attempt(
      engine,
      [
        'real time: 5000 idle authenticated WebSockets, RSS per connection',
        'real time: message delivery p99 while they are held',
        'real time: appointment.updated to all 5000 ÷ bare ws send of the same buffer',
      ],
      () => sc.realtime(app, ceiling, `http://127.0.0.1:${controlPort}/`, seeded),
    );
    await attempt(engine, ['slots: GET /doctors/{id}/slots (7 days) req/s ÷ constant route'], async () => [
      await sc.slots(app, ceiling, seeded),
    ]);
    await attempt(engine, ['directory: GET /doctors?q= on 10,000 doctors ÷ constant route; p99'], async () => [
      await sc.directory(app, ceiling),
    ]);
    await attempt(engine, ['terminology: GET /terminology/substances?q= req/s ÷ constant route; p99'], async () => [
      await sc.terminology(app, ceiling, seeded),
    ]);
    await attempt(engine, ['auth: JWT GET /me req/s ÷ constant route'], async () => [await sc.authOverhead(app, ceiling, seeded)]);
    await attempt(engine, ['history: page 1,000 ÷ page 1 latency (100,000 messages, limit 100)'], async () => [
      await sc.history(app, seeded),
    ]);
    await attempt(engine, [BOOKING], async () => {
      const b = await sc.booking(app, seeded);
      if (b.rps === 0) throw new Error(`no booking succeeded (${b.conflicts} non-2xx) → 404?`);
      bookingRps = b.rps;
      return [{ scenario: BOOKING, value: 'pending' }];
    });
    await attempt(
      engine,
      ['login: logins/s ÷ bare argon2id verifications/s (one process)', 'login flood: GET /doctors req/s during ÷ without'],
      () => sc.login(app, seeded, hash),
    );
    await attempt(engine, [sc.EXPORT_FLOOD], async () => [await sc.exportFlood(app, seeded)]);
  } finally {
    await app.stop();
    await ceiling.stop();
  }

  // Its own server (fresh DATA_DIR or this scratch database), once the seeded one is stopped.
  await attempt(engine, [HASH_FLOOD], async () => {
    const r = await runHashFlood(databaseUrl || null);
    return [
      {
        scenario: HASH_FLOOD,
        value: `${ratio(r.duringCheap.p99 / r.alone.p99)} (p99 ${fmt(r.duringCheap.p99, 0)} vs ${fmt(r.alone.p99, 0)} ms); fresh sign-ups flood: ${ratio(r.duringFresh.p99 / r.alone.p99)}, ${r.duringFresh.shed} of ${r.duringFresh.ok + r.duringFresh.shed + r.duringFresh.other} logins shed (503)`,
      },
    ];
  });

  await attempt(engine, [ENUMERATION], async () => {
    const r = Object.values(await runEnumeration(databaseUrl || null));
    return [{ scenario: ENUMERATION, value: r.map((m) => `${fmt(m.diff)} ms (of ${fmt(m.unknown)})`).join(' / ') }];
  });

  // The driver side of the booking ratio, with the server stopped (the embedded database has one owner).
  if (wanted([BOOKING])) {
    const raw = await openDatabase({ databaseUrl: databaseUrl || null, pgliteDir: pgliteDirFor(dataDir) });
    const base = Date.UTC(2030, 0, 1);
    const rawRps = await sc.rawInserts(async (i) => {
      const starts = new Date(base + i * 10 * 60_000);
      await raw.rows(sql`INSERT INTO appointments (patient_id, doctor_id, starts_at, ends_at, status)
      VALUES (${seeded.patients[i % seeded.patients.length].id}, ${seeded.rawDoctorId}, ${starts.toISOString()}, ${new Date(starts.getTime() + 10 * 60_000).toISOString()}, 'PENDING')`);
    });
    await raw.close();
    if (Number.isFinite(bookingRps))
      record(engine, [{ scenario: BOOKING, value: `${ratio(bookingRps / rawRps)} (${fmt(bookingRps, 0)} vs ${fmt(rawRps, 0)}/s)` }]);
  }
  await dropDb();
  rmSync(dataDir, { recursive: true, force: true });
  console.error(`[${engine}] done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

const engines: [Engine, string | null][] = [['embedded (PGlite)', null]];
if (process.env.DATABASE_URL) engines.push(['PostgreSQL', process.env.DATABASE_URL]);
if (process.env.BENCH_ENGINES === 'postgres') engines.shift();
for (const [engine, url] of engines) await runEngine(engine, url);

let pgVersion = '';
if (process.env.DATABASE_URL) {
  const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  pgVersion = ((await c.query('SHOW server_version')).rows[0] as { server_version: string }).server_version.split(' ')[0];
  await c.end();
}
// Rows in the order of the issue, whatever order they were measured in.
const RANK = [
  'booking',
  'slots',
  'directory',
  'history',
  'auth',
  'login:',
  'login flood',
  'hash flood',
  'export flood',
  'real time: 5000',
  'real time: message',
  'real time: appointment',
];
const rank = (s: string) => RANK.findIndex((p) => s.startsWith(p));
order.sort((a, b) => rank(a) - rank(b));
const heads = engines.map(([e]) => (e === 'PostgreSQL' && pgVersion ? `PostgreSQL ${pgVersion}` : e));
const lines = [
  `| scenario | ${heads.join(' | ')} |`,
  `|---|${heads.map(() => '---').join('|')}|`,
  ...order.map((s) => `| ${s} | ${engines.map(([e]) => results.get(s)?.get(e) ?? 'n/a').join(' | ')} |`),
];
const stamp = `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${SECONDS} s per measurement, Node ${process.version}, ${(await import('node:os')).cpus().length} cores`;
const table = lines.join('\n');
console.log(`\n${stamp}\n\n${table}\n`);

const readme = fileURLToPath(new URL('./README.md', import.meta.url));
if (ONLY.length) process.exit(0);
try {
  const text = readFileSync(readme, 'utf8');
  const block = `<!-- bench:start -->\n${stamp}\n\n${table}\n<!-- bench:end -->`;
  writeFileSync(readme, text.replace(/<!-- bench:start -->[\s\S]*<!-- bench:end -->/, block));
} catch {
  // no README to update
}
process.exit(0);
