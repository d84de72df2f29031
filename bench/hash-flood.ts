// A legitimate login's latency while anonymous clients flood the routes that used to cost an argon2
// hash before any check (issue 11, item 1): registration with a taken username and reset-password with
// an unknown token, sent open-loop at a fixed rate from many forwarded addresses (a distributed flood,
// so the per-address budget does not hide what the hashing queue does). A second flood registers fresh
// accounts, which must hash, to show the bounded queue: logins then wait at most the queue or get 503.
// The API runs as a child process with the configured argon2 cost (OWASP default) and TRUST_PROXY.
// Usage: tsx bench/hash-flood.ts [postgres://…/db]   (no URL: embedded PGlite in a temp dir)
//        env: BENCH_SECONDS (per phase, default 5), FLOOD_RATE (req/s, default 20), FRESH_RATE (default 40)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { fmt, freePort, percentile, ratio, SECONDS, sleep, startChild, type Child } from './lib.ts';

const FLOOD_RATE = Number(process.env.FLOOD_RATE ?? 20);
const FRESH_RATE = Number(process.env.FRESH_RATE ?? 40);
const PASSWORD = 'bench password 123';

const post = (base: string, path: string, body: unknown, ip?: string) =>
  fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(ip ? { 'x-forwarded-for': ip } : {}) },
    body: JSON.stringify(body),
  });

const randomIp = () =>
  `10.${1 + Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 250)}`;

interface Logins {
  p50: number;
  p99: number;
  ok: number;
  shed: number;
  other: number;
}

/** Sequential logins of one user from one address for `seconds`. */
async function logins(app: Child, username: string, seconds: number): Promise<Logins> {
  const ms: number[] = [];
  let ok = 0,
    shed = 0,
    other = 0;
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    const t0 = performance.now();
    const res = await post(app.url, '/api/v1/auth/login', { login: username, password: PASSWORD }, '192.0.2.10');
    await res.arrayBuffer();
    ms.push(performance.now() - t0);
    if (res.status === 200) ok++;
    else if (res.status === 503) shed++;
    else other++;
  }
  return { p50: percentile(ms, 50), p99: percentile(ms, 99), ok, shed, other };
}

/** Fires `make(i)` `rate` times a second (open loop, as an attacker would) until stopped. */
function flood(rate: number, make: (i: number) => Promise<Response>) {
  let i = 0,
    inFlight = 0,
    sent = 0;
  const statuses = new Map<number, number>();
  const timer = setInterval(() => {
    if (inFlight > 500) return;
    inFlight++;
    sent++;
    make(i++)
      .then(async (r) => {
        await r.arrayBuffer();
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      })
      .catch(() => statuses.set(0, (statuses.get(0) ?? 0) + 1))
      .finally(() => {
        inFlight--;
      });
  }, 1000 / rate);
  return {
    stop: async () => {
      clearInterval(timer);
      while (inFlight > 0) await sleep(50);
      return { sent, statuses: Object.fromEntries(statuses) };
    },
  };
}

export async function runHashFlood(databaseUrl: string | null) {
  const dataDir = mkdtempSync(join(tmpdir(), 'telecare-hashflood-'));
  const env = {
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl ?? '',
    LOG_LEVEL: 'fatal',
    RATE_LIMIT_MAX: '0',
    // The legitimate user logs in back to back from one address, far beyond the anonymous hashing routes'
    // per-address budget (60/min), which would answer 429 and measure nothing; the flood comes from random
    // addresses, which that budget does not stop either. What is measured is the hashing queue.
    AUTH_RATE_LIMIT_MAX: '0',
    TRUST_PROXY: 'true',
    SMTP_URL: '',
    JWT_SECRET: randomBytes(32).toString('hex'),
  };
  const app = await startChild('src/server.ts', env, freePort());
  try {
    const username = `legit${randomBytes(3).toString('hex')}`;
    const reg = await post(app.url, '/api/v1/auth/register/patient', {
      username,
      email: `${username}@bench.test`,
      password: PASSWORD,
      firstname: 'Le',
      lastname: 'Git',
      dateOfBirth: '1980-01-01',
      gender: 'other',
    });
    if (reg.status !== 201) throw new Error(`register → ${reg.status} ${await reg.text()}`);
    await logins(app, username, 1); // warm-up
    const alone = await logins(app, username, SECONDS);

    const cheap = flood(FLOOD_RATE, (i) =>
      i % 2
        ? post(
            app.url,
            '/api/v1/auth/register/patient',
            {
              username,
              email: `taken${i}@bench.test`,
              password: PASSWORD,
              firstname: 'F',
              lastname: 'L',
              dateOfBirth: '1980-01-01',
              gender: 'other',
            },
            randomIp(),
          )
        : post(app.url, '/api/v1/auth/reset-password', { token: randomBytes(32).toString('base64url'), password: PASSWORD }, randomIp()),
    );
    const duringCheap = await logins(app, username, SECONDS);
    const cheapFlood = await cheap.stop();
    await sleep(2000);

    const fresh = flood(FRESH_RATE, (i) =>
      post(
        app.url,
        '/api/v1/auth/register/patient',
        {
          username: `fresh${i}x${randomBytes(3).toString('hex')}`,
          email: `fresh${i}x${randomBytes(3).toString('hex')}@bench.test`,
          password: PASSWORD,
          firstname: 'F',
          lastname: 'L',
          dateOfBirth: '1980-01-01',
          gender: 'other',
        },
        randomIp(),
      ),
    );
    const duringFresh = await logins(app, username, SECONDS);
    const freshFlood = await fresh.stop();
    return { alone, duringCheap, cheapFlood, duringFresh, freshFlood };
  } finally {
    await app.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const describe = (l: Logins) => `p50 ${fmt(l.p50, 0)} ms, p99 ${fmt(l.p99, 0)} ms, ${l.ok} ok, ${l.shed} × 503, ${l.other} other`;

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runHashFlood(process.argv[2] ?? null);
  console.log(`engine: ${process.argv[2] ? 'PostgreSQL' : 'embedded (PGlite)'}; ${SECONDS} s per phase`);
  console.log(`legitimate login alone: ${describe(r.alone)}`);
  console.log(
    `during ${FLOOD_RATE}/s taken-username registrations + unknown-token resets: ${describe(r.duringCheap)}; flood answers ${JSON.stringify(r.cheapFlood.statuses)}`,
  );
  console.log(`  → login p99 during ÷ alone: ${ratio(r.duringCheap.p99 / r.alone.p99)}`);
  console.log(
    `during ${FRESH_RATE}/s fresh registrations (each must hash): ${describe(r.duringFresh)}; flood answers ${JSON.stringify(r.freshFlood.statuses)}`,
  );
  console.log(`  → login p99 during ÷ alone: ${ratio(r.duringFresh.p99 / r.alone.p99)}`);
  process.exit(0);
}
