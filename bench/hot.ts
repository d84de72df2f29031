// npm run bench:hot: the hot paths against their SQL ceiling, and bookings/s against the code before
// issue 10, side by side in one run on one PostgreSQL server (issue 10, item 7).
//
// - Telecare (this tree) on a fresh scratch database, seeded as `npm run bench` seeds;
// - bench/ceiling-sql.ts on the same database: bare Fastify + node-postgres running Telecare's own
//   prepared SQL for GET /me, GET /doctors?q=, slots and booking;
// - with BENCH_OLD_TREE (a checkout of 7b73990 with its node_modules, e.g. `git worktree add
//   /tmp/telecare-old 7b73990 && (cd /tmp/telecare-old && npm ci)`), that tree's server on a second fresh
//   scratch database seeded by that tree's own bench/seed.ts.
// Each scenario is measured BENCH_REPEAT times (default 3), Telecare and its reference alternately, and
// reported as min / median of the ratios, with the load average at the time.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { execFileSync } from 'node:child_process';
import { loadavg, tmpdir } from 'node:os';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createScratchDatabase } from '../src/platform/db/scratch.ts';
import { openAndMigrate } from '../src/platform/db/index.ts';
import { Passwords } from '../src/platform/passwords.ts';
import { loadConfig } from '../src/platform/config.ts';
import { fmt, freePort, load, ratio, startChild, type Child, type Load } from './lib.ts';
import { PASSWORD, seed, type Seeded } from './seed.ts';

const ADMIN_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const OLD_TREE = process.env.BENCH_OLD_TREE ?? '';
/** Extra node flags for Telecare's process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it. */
const APP_NODE_ARGS = (process.env.BENCH_APP_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** Only the scenarios whose name contains one of these `|`-separated parts (e.g. `slots` or `POST|7b73990`). */
const ONLY = (process.env.BENCH_ONLY ?? '').split('|').filter(Boolean);
const json = { 'content-type': 'application/json' };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const load1 = () => loadavg()[0].toFixed(1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const day = () => {
  const d = new Date();
  d.setUTCHours(0, 0, 0, 0);
  return d.getTime() + 86_400_000;
};

interface Target {
  child: Child;
  /** Path prefix of the API routes (`/api/v1` on Telecare, nothing on the ceiling). */
  prefix: string;
  seeded: Pick<Seeded, 'bookingDoctorId' | 'slotsDoctorId' | 'patients'>;
  /** The booking doctor's slot length as seeded. */
  slotMinutes: number;
  /** The database it runs on. */
  databaseUrl: string;
}

/**
 * ANALYZE of the tables bookings grow, before each booking run. The scratch database starts without
 * appointments, and every run adds thousands: with statistics of the empty table the planner keeps
 * choosing sequential scans of appointments for the open-appointment counts and busy intervals, so each
 * run cost more than the one before (4.8 → 11 CPU ms per booking over five runs). A live database has
 * statistics (autovacuum's analyze); the benchmark takes them before measuring, for every tree alike.
 */
async function analyze(t: Target): Promise<void> {
  const c = new pg.Client({ connectionString: t.databaseUrl });
  await c.connect();
  try {
    await c.query('ANALYZE appointments');
  } finally {
    await c.end();
  }
}

/**
 * Waits until the target's database has no mail left to send. Telecare and the ceiling share one database,
 * and Telecare's mail worker sends every outbox row, the ceiling's bookings' too: without this, mail
 * caused by one run was sent (and counted) during the next, whichever server it measured. Before every
 * run; after Telecare's booking runs too, so their CPU per booking includes delivering their mails.
 */
async function drained(t: Target): Promise<void> {
  const c = new pg.Client({ connectionString: t.databaseUrl });
  await c.connect();
  try {
    for (const deadline = Date.now() + 120_000; ;) {
      const { rows } = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM mail_outbox WHERE sent_at IS NULL');
      if (rows[0].n === 0) return;
      if (Date.now() > deadline) throw new Error(`${rows[0].n} mails still unsent after 120 s (${t.child.url})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await c.end();
  }
}

/** Bookings of distinct slots (10 minutes here, 5 in the old tree's seed), 50 clients; `slotBase` keeps every run on slots nobody took. */
async function bookingLoad(t: Target, slotBase: number, extra: Record<string, string> = {}, duration?: number): Promise<Load> {
  let n = 0;
  return load({
    ...(duration ? { duration } : {}),
    url: t.child.url,
    connections: 50,
    requests: [
      {
        method: 'POST',
        path: `${t.prefix}/appointments`,
        setupRequest: (req) => {
          const i = n++;
          return {
            ...req,
            headers: { ...json, ...bearer(t.seeded.patients[i % t.seeded.patients.length].token), ...extra },
            body: JSON.stringify({
              doctorId: t.seeded.bookingDoctorId,
              startsAt: new Date(slotBase + i * t.slotMinutes * 60_000).toISOString(),
            }),
          };
        },
      },
    ],
  });
}

const getLoad = (t: Target, path: string, headers: Record<string, string> = {}) => load({ url: t.child.url + t.prefix + path, headers });

/** Checks the route answers 200; returns the size of its body (the ceiling answers as many bytes). */
async function check(t: Target, path: string, headers: Record<string, string> = {}): Promise<Record<string, string>> {
  const res = await fetch(t.child.url + t.prefix + path, { headers });
  if (res.status !== 200) throw new Error(`${t.child.url}${t.prefix}${path} → ${res.status} ${await res.text()}`);
  return { 'x-bytes': String((await res.arrayBuffer()).byteLength) };
}

interface Pair {
  scenario: string;
  ratios: number[];
  /** Reference's CPU time per successful request ÷ Telecare's: 1 when Telecare is as cheap as the reference. */
  cpuRatios: number[];
  detail: string[];
}

/** CPU time (ms, user + system) each process has used so far, from /proc/<pid>/stat (Linux, USER_HZ 100). */
function cpuMs(pids: number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, (Number(fields[11]) + Number(fields[12])) * 10); // utime, stime: fields 14 and 15 of stat(5)
    } catch {
      // the process has exited
    }
  }
  return out;
}

/** Every PostgreSQL process on this machine: the backends serving the run and the server's own workers. */
function postgresPids(): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'postgres') out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** A load run with the CPU time it cost the server under test and the PostgreSQL server together. */
async function measured(
  t: Target,
  run: () => Promise<Load>,
  prepare?: () => Promise<void>,
  settle?: () => Promise<void>,
): Promise<Load & { cpuPerRequestMs: number }> {
  const { child } = t;
  // Set-up (the booking runs' ANALYZE, earlier runs' mail) happens before the CPU reading: not the load's cost.
  await drained(t);
  await prepare?.();
  const before = cpuMs([child.proc.pid!, ...postgresPids()]);
  const result = await run();
  // After the load, before the CPU reading: e.g. a booking's mails, part of what it costs (req/s unchanged).
  await settle?.();
  // Processes alive at the end: a backend that started during the run counts from zero; one that ended
  // during it (a pool closing an idle client) is missing its last moments, which are idle ones.
  const after = cpuMs([child.proc.pid!, ...postgresPids()]);
  let spent = 0;
  for (const [pid, ms] of after) spent += ms - (before.get(pid) ?? 0);
  return { ...result, cpuPerRequestMs: spent / Math.max(1, result.ok) };
}

/** A side of a pair: its target, its load, set-up before the CPU reading, and work to wait for after the load. */
type Side = [Target, () => Promise<Load>, (() => Promise<void>)?, (() => Promise<void>)?];

/**
 * Runs `a` then `b` REPEAT times and records a.rps ÷ b.rps each time, and the CPU time per request of each
 * side (its server process plus PostgreSQL's): on a shared 2-core machine req/s follows whatever else
 * runs, while the CPU a request costs barely does.
 */
async function pairs(scenario: string, [ta, a, prepareA, settleA]: Side, [tb, b, prepareB, settleB]: Side): Promise<Pair | null> {
  if (ONLY.length && !ONLY.some((part) => scenario.includes(part))) return null;
  const out: Pair = { scenario, ratios: [], cpuRatios: [], detail: [] };
  for (let i = 0; i < REPEAT; i++) {
    const la = load1();
    const x = await measured(ta, a, prepareA, settleA);
    const y = await measured(tb, b, prepareB, settleB);
    if (x.non2xx || y.non2xx) console.error(`[${scenario}] non-2xx: ${x.non2xx} vs ${y.non2xx}`);
    out.ratios.push(x.rps / y.rps);
    out.cpuRatios.push(y.cpuPerRequestMs / x.cpuPerRequestMs);
    out.detail.push(`${fmt(x.rps, 0)}/${fmt(y.rps, 0)} req/s, ${fmt(x.cpuPerRequestMs)}/${fmt(y.cpuPerRequestMs)} CPU ms/req @${la}`);
    console.error(
      `[${scenario}] #${i + 1}: ${fmt(x.rps, 0)} vs ${fmt(y.rps, 0)} req/s, ${fmt(x.cpuPerRequestMs)} vs ${fmt(y.cpuPerRequestMs)} CPU ms per request (load ${la})`,
    );
  }
  return out;
}

/** Seeds a scratch database with the old tree's own migrations and seed script; returns what it seeded. */
function seedOld(url: string, hash: string, jwtSecret: string): Target['seeded'] {
  const script = join(OLD_TREE, 'bench', '.hot-seed.ts');
  writeFileSync(
    script,
    `import { openAndMigrate } from '../src/platform/db/index.ts';
import { seed } from './seed.ts';
const db = await openAndMigrate({ databaseUrl: process.env.DATABASE_URL!, pgliteDir: '' } as never);
const s = await seed(db, process.env.SEED_HASH!, process.env.JWT_SECRET!);
await db.close();
process.stdout.write(JSON.stringify({ bookingDoctorId: s.bookingDoctorId, slotsDoctorId: s.slotsDoctorId, patients: s.patients }));
`,
  );
  try {
    const out = execFileSync(process.execPath, ['--import', 'tsx', script], {
      cwd: OLD_TREE,
      env: { ...process.env, DATABASE_URL: url, SEED_HASH: hash, JWT_SECRET: jwtSecret },
      maxBuffer: 64 * 1024 * 1024,
    });
    return JSON.parse(out.toString());
  } finally {
    rmSync(script, { force: true });
  }
}

async function main() {
  const jwtSecret = randomBytes(32).toString('hex');
  const hash = await new Passwords(loadConfig(process.env).argon2).hash(PASSWORD);
  const fresh = await createScratchDatabase(ADMIN_URL, 'benchhot');
  const old = OLD_TREE ? await createScratchDatabase(ADMIN_URL, 'benchold') : null;
  const dirs: string[] = [];
  const children: Child[] = [];
  try {
    const db = await openAndMigrate({ databaseUrl: fresh.url, pgliteDir: '' });
    const seeded = await seed(db, hash, jwtSecret);
    await db.close();
    const oldSeeded = old ? seedOld(old.url, hash, jwtSecret) : null;
    console.error('seeded');

    // As bench/run.ts starts the app (bench/bench-server.ts), but with production's LOG_LEVEL=info (stdout
    // discarded), so the request log's cost is in the figures.
    const env = (url: string) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'telecare-hot-'));
      dirs.push(dataDir);
      return {
        DATA_DIR: dataDir,
        DATABASE_URL: url,
        JWT_SECRET: jwtSecret,
        LOG_LEVEL: 'info',
        RATE_LIMIT_MAX: '0',
        BOOKING_MAX_OPEN: '10000',
        BOOKING_MAX_OPEN_PER_DOCTOR: '10000',
        SMTP_URL: '',
        BENCH_CONTROL_PORT: String(freePort()),
      };
    };
    const app: Target = {
      child: await startChild('bench/bench-server.ts', env(fresh.url), freePort(), APP_NODE_ARGS, '/health/ready', { quiet: true }),
      prefix: '/api/v1',
      seeded,
      slotMinutes: 10,
      databaseUrl: fresh.url,
    };
    children.push(app.child);
    const ceiling: Target = {
      child: await startChild('bench/ceiling-sql.ts', { DATABASE_URL: fresh.url }, freePort()),
      prefix: '',
      seeded,
      slotMinutes: 10,
      databaseUrl: fresh.url,
    };
    children.push(ceiling.child);
    let before: Target | null = null;
    if (old && oldSeeded) {
      before = {
        child: await startChild('bench/bench-server.ts', env(old.url), freePort(), [], '/health/ready', { cwd: OLD_TREE, quiet: true }),
        prefix: '/api/v1',
        seeded: oldSeeded,
        slotMinutes: 5,
        databaseUrl: old.url,
      };
      children.push(before.child);
    }

    const me = bearer(seeded.patients[0].token);
    const from = new Date(day()).toISOString();
    const to = new Date(day() + 7 * 86_400_000).toISOString();
    const slotsPath = (t: Target) => `/doctors/${t.seeded.slotsDoctorId}/slots?from=${from}&to=${to}`;
    // Telecare's body sizes, which the ceiling answers with after running the same SQL.
    const meBytes = await check(app, '/me', me);
    const dirBytes = await check(app, '/doctors?q=cardio');
    const slotsBytes = await check(app, slotsPath(app));
    await check(ceiling, '/me', me);
    await check(ceiling, '/doctors?q=cardio');
    await check(ceiling, slotsPath(ceiling));
    const probe = await fetch(`${app.child.url}/api/v1/appointments`, {
      method: 'POST',
      headers: { ...json, ...bearer(seeded.patients[0].token) },
      body: JSON.stringify({ doctorId: seeded.bookingDoctorId, startsAt: new Date(day() + 600 * 86_400_000).toISOString() }),
    });
    if (probe.status !== 201) throw new Error(`booking probe → ${probe.status} ${await probe.text()}`);
    const bookBytes = (await probe.arrayBuffer()).byteLength;
    // Warm-up of every server measured, the old tree's too: plans prepared, JIT warm, pools filled. The
    // bookings take slots 500 days ahead, away from the measured runs'.
    for (const t of [app, ceiling]) {
      await load({ url: t.child.url + t.prefix + '/me', headers: me, duration: 2 });
      await load({ url: t.child.url + t.prefix + slotsPath(t), duration: 1 });
    }
    for (const [i, t] of [app, ceiling, before].entries()) {
      if (t) await bookingLoad(t, day() + 86_400_000 * (500 + 20 * i), t === ceiling ? { 'x-bytes': String(bookBytes) } : {}, 2);
    }

    const results: (Pair | null)[] = [];
    results.push(
      await pairs(
        'GET /me (patient)',
        [app, () => getLoad(app, '/me', me)],
        [ceiling, () => getLoad(ceiling, '/me', { ...me, ...meBytes })],
      ),
    );
    results.push(
      await pairs(
        'GET /doctors?q=cardio',
        [app, () => getLoad(app, '/doctors?q=cardio')],
        [ceiling, () => getLoad(ceiling, '/doctors?q=cardio', dirBytes)],
      ),
    );
    results.push(
      await pairs(
        'GET /doctors/{id}/slots (7 days)',
        [app, () => getLoad(app, slotsPath(app))],
        [ceiling, () => getLoad(ceiling, slotsPath(ceiling), slotsBytes)],
      ),
    );
    // Each booking run takes slots of its own: 30 days apart (2,000 bookings of 10 minutes fill 14).
    let run = 0;
    const nextBase = () => day() + 86_400_000 * (1 + 30 * run++);
    results.push(
      await pairs(
        'POST /appointments (50 clients)',
        [app, () => bookingLoad(app, nextBase()), () => analyze(app), () => drained(app)],
        [ceiling, () => bookingLoad(ceiling, nextBase(), { 'x-bytes': String(bookBytes) }), () => analyze(ceiling)],
      ),
    );
    if (before) {
      results.push(
        await pairs(
          'bookings/s, this tree ÷ 7b73990',
          [app, () => bookingLoad(app, nextBase()), () => analyze(app), () => drained(app)],
          [before, () => bookingLoad(before!, nextBase()), () => analyze(before!), () => drained(before!)],
        ),
      );
    }

    const lines = [
      '| scenario (PostgreSQL) | req/s, Telecare ÷ reference, min / median | CPU per request, reference ÷ Telecare, min / median | req/s and CPU ms per request (server + PostgreSQL), Telecare/reference @ load average, per run |',
      '| --- | --- | --- | --- |',
      ...results
        .filter((r): r is Pair => r !== null)
        .map(
          (r) =>
            `| ${r.scenario}${r.scenario.includes('7b73990') ? '' : ' ÷ SQL ceiling'} | ${ratio(Math.min(...r.ratios))} / ${ratio(median(r.ratios))} | ${ratio(Math.min(...r.cpuRatios))} / ${ratio(median(r.cpuRatios))} | ${r.detail.join('; ')} |`,
        ),
    ];
    const table = lines.join('\n');
    console.log(table);
    const readme = fileURLToPath(new URL('./README.md', import.meta.url));
    const text = readFileSync(readme, 'utf8');
    const start = '<!-- bench:hot -->';
    const end = '<!-- /bench:hot -->';
    const stamped = `${start}\n_${new Date().toISOString().slice(0, 16)} UTC, ${REPEAT} runs of ${process.env.BENCH_SECONDS ?? 5} s each, 2-core machine_\n\n${table}\n${end}`;
    if (text.includes(start)) writeFileSync(readme, text.replace(new RegExp(`${start}[\\s\\S]*${end}`), stamped));
  } finally {
    for (const c of children) await c.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await fresh.drop();
    await old?.drop();
  }
}

await main();
process.exit(0);
