// Forgot-password and resend-verification must cost the same for a registered address as for an unknown
// one, or their timing tells which addresses have accounts. The test suite holds this structurally
// (src/modules/auth/enumeration.test.ts: the same statements on the request path for both); this measures
// the time: interleaved pairs (the order inside each drawn at random), so that load on the machine hits
// both sides alike, and the median of the paired differences, which ignores the odd stall.
// Usage: tsx bench/enumeration.ts [postgres://…/db]   (no URL: embedded PGlite in a temp dir)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { fmt, freePort, sleep, startChild } from './lib.ts';
import { PASSWORD } from './seed.ts';

const PAIRS = Number(process.env.BENCH_ENUMERATION_PAIRS ?? 60);

const post = (base: string, path: string, body: unknown) =>
  fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function timed(base: string, path: string, email: string): Promise<number> {
  const t0 = performance.now();
  const res = await post(base, path, { email });
  await res.arrayBuffer();
  const ms = performance.now() - t0;
  if (res.status !== 202) throw new Error(`${path} → ${res.status}`);
  // The off-request work a registered address starts (a mail) would otherwise sit in the next request's time.
  await sleep(50);
  return ms;
}

/** Median known − unknown per path, in ms, with both medians. */
export async function runEnumeration(databaseUrl: string | null) {
  const dataDir = mkdtempSync(join(tmpdir(), 'telecare-enumeration-'));
  const env = {
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl ?? '',
    LOG_LEVEL: 'fatal',
    RATE_LIMIT_MAX: '0',
    AUTH_RATE_LIMIT_MAX: '0',
    SMTP_URL: '',
    JWT_SECRET: randomBytes(32).toString('hex'),
  };
  const app = await startChild('src/server.ts', env, freePort());
  try {
    const known: string[] = [];
    for (let i = 0; i < PAIRS; i++) {
      const username = `enu${randomBytes(4).toString('hex')}`;
      const body = {
        username,
        email: `${username}@bench.test`,
        password: PASSWORD,
        firstname: 'En',
        lastname: 'Um',
        dateOfBirth: '1980-01-01',
        gender: 'other',
      };
      const reg = await post(app.url, '/api/v1/auth/register/patient', body);
      if (reg.status !== 201) throw new Error(`register → ${reg.status} ${await reg.text()}`);
      known.push(body.email);
    }
    const out: Record<string, { diff: number; known: number; unknown: number }> = {};
    for (const path of ['/api/v1/auth/forgot-password', '/api/v1/auth/resend-verification']) {
      for (let i = 0; i < 3; i++) await timed(app.url, path, `warmup${i}-${randomBytes(3).toString('hex')}@bench.test`);
      const diffs: number[] = [];
      const k: number[] = [];
      const u: number[] = [];
      for (let i = 0; i < PAIRS; i++) {
        const ghost = `ghost${i}-${randomBytes(3).toString('hex')}@bench.test`;
        const knownFirst = Math.random() < 0.5;
        const a = await timed(app.url, path, knownFirst ? known[i] : ghost);
        const b = await timed(app.url, path, knownFirst ? ghost : known[i]);
        const [km, um] = knownFirst ? [a, b] : [b, a];
        diffs.push(km - um);
        k.push(km);
        u.push(um);
      }
      out[path] = { diff: median(diffs), known: median(k), unknown: median(u) };
    }
    return out;
  } finally {
    await app.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [path, m] of Object.entries(await runEnumeration(process.argv[2] ?? null))) {
    console.log(`${path}: median known ${fmt(m.known)} ms, unknown ${fmt(m.unknown)} ms, median paired difference ${fmt(m.diff)} ms`);
  }
}
