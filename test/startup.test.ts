// Honest start-up and the running server's administration, as an operator meets them: the compiled server
// as a child process. A production start names what it would leave broken (mail to disk, no https
// PUBLIC_URL, no TURN) in one warning line each, or refuses with STARTUP_CHECKS=strict; a normal shutdown
// logs no warning; `audit verify` works while the embedded server runs (through DATA_DIR/admin.sock).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../src/platform/config.ts';
import { createScratchDatabase } from '../src/platform/db/scratch.ts';
import { request } from './helpers.ts';
import { seedDataDir } from './fixtures/pglite-template.ts';
import { cli, FAST_ENV, freePort, spawnServer, startService } from './fixtures/service.ts';

/** A DATA_DIR (migrated) and, on the server engine, a scratch database. */
async function place(t: { after: (fn: () => Promise<void>) => void }): Promise<Record<string, string>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'telecare-start-'));
  if (!process.env.TEST_DATABASE_URL) {
    await seedDataDir(dataDir);
    return { DATA_DIR: dataDir };
  }
  const { url, drop } = await createScratchDatabase(process.env.TEST_DATABASE_URL, 'tc_start');
  t.after(drop);
  return { DATA_DIR: dataDir, DATABASE_URL: url };
}

/** The server's JSON log lines at warn level or above. */
function warnings(output: string): { msg: string; variable?: string }[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: number; msg: string; variable?: string })
    .filter((l) => l.level >= 40);
}

const TURN = { ICE_SERVERS: 'stun:turn.example.org:3478,turn:turn.example.org:3478', TURN_SECRET: 'a-turn-secret-for-the-test' };
// Never contacted: no mail is sent in these starts.
const SMTP = { SMTP_URL: 'smtp://127.0.0.1:9' };

test(
  'a production start names each missing or unsafe setting in one warning line; a clean one and its shutdown log none',
  { timeout: 1_200_000 },
  async (t) => {
    const cases: [string, Record<string, string>, string[]][] = [
      ['nothing set', {}, ['SMTP_URL', 'PUBLIC_URL', 'ICE_SERVERS']],
      ['plain-HTTP PUBLIC_URL', { ...SMTP, ...TURN, PUBLIC_URL: 'http://clinic.example' }, ['PUBLIC_URL']],
      ['all set', { ...SMTP, ...TURN, PUBLIC_URL: 'https://clinic.example' }, []],
    ];
    for (const [name, env, variables] of cases) {
      const s = await startService(t, { ...FAST_ENV, ...(await place(t)), NODE_ENV: 'production', ...env });
      assert.equal(await s.stop(), 0, name);
      const found = warnings(s.output());
      assert.deepEqual(
        found.map((w) => w.variable),
        variables,
        `${name}: ${JSON.stringify(found)}`,
      );
      for (const w of found) assert.match(w.msg, /^production start: \S+ .*: /, name);
    }
    // A development start (the default NODE_ENV) is quiet about the same settings.
    const dev = await startService(t, { ...FAST_ENV, ...(await place(t)) });
    assert.equal(await dev.stop(), 0);
    assert.deepEqual(warnings(dev.output()), []);
  },
);

test(
  'STARTUP_CHECKS=strict refuses a production start that would be unsafe, naming each setting; a bad value is a configuration error',
  { timeout: 600_000 },
  async (t) => {
    const base = { ...FAST_ENV, ...(await place(t)), NODE_ENV: 'production', STARTUP_CHECKS: 'strict' };
    const refused = spawnServer({ ...base, ...SMTP, ...TURN, PUBLIC_URL: 'http://clinic.example' }, await freePort());
    assert.equal(await refused.exited, 78);
    assert.match(refused.output(), /Configuration error: PUBLIC_URL http:\/\/clinic\.example is plain HTTP/);
    assert.match(refused.output(), /refusing a production start with STARTUP_CHECKS=strict/);
    assert.doesNotMatch(refused.output(), /SMTP_URL|TURN server/);

    const ok = await startService(t, { ...base, ...SMTP, ...TURN, PUBLIC_URL: 'https://clinic.example' });
    assert.equal(await ok.stop(), 0);

    const bad = spawnServer({ ...base, STARTUP_CHECKS: 'loose' }, await freePort());
    assert.equal(await bad.exited, 78);
    assert.match(bad.output(), /STARTUP_CHECKS must be warn or strict/);
  },
);

test('audit verify runs against the running embedded server through its private admin socket', { timeout: 600_000 }, async (t) => {
  const env = { ...FAST_ENV, ...(await place(t)) };
  assert.equal(
    (await cli(env, 'create-admin', '--username', 'boss', '--email', 'boss@example.test', '--password', 'a long admin password')).status,
    0,
  );
  const s = await startService(t, env);
  const login = await request(s.url, 'POST', '/api/v1/auth/login', { body: { login: 'boss', password: 'a long admin password' } });
  assert.equal(login.status, 200);
  assert.equal((await request(s.url, 'GET', '/api/v1/admin/audit-events', { token: login.body.accessToken })).status, 200);
  const verify = await cli(env, 'audit', 'verify');
  assert.equal(verify.status, 0, verify.stderr);
  const m = /audit chain intact: (\d+) events verified/.exec(verify.stdout);
  assert.ok(m && Number(m[1]) > 0, verify.stdout);
  if (!env.DATABASE_URL) {
    // Reachable by DATA_DIR's owner only; commands that need the database to themselves still say who holds it.
    assert.equal(statSync(join(env.DATA_DIR, 'admin.sock')).mode & 0o777, 0o600);
    const migrate = await cli(env, 'migrate');
    assert.notEqual(migrate.status, 0);
    assert.match(migrate.stderr, new RegExp(`in use by process ${s.child.pid}`));
  }
  assert.equal(await s.stop(), 0);
  assert.deepEqual(warnings(s.output()), [], 'no warning, at shutdown either');
});

test('TRUST_PROXY: off, everyone, or only the listed proxies', () => {
  assert.equal(loadConfig({}).trustProxy, false);
  assert.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, true);
  assert.deepEqual(loadConfig({ TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,::1' }).trustProxy, ['127.0.0.1', '10.0.0.0/8', '::1']);
  for (const bad of ['proxy.example', '10.0.0.0/33', '127.0.0.1/8/1', 'maybe']) {
    assert.throws(() => loadConfig({ TRUST_PROXY: bad }), ConfigError, bad);
  }
});
