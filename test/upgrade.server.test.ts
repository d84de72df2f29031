// A rolling upgrade of two instances over a release whose migration adds a column and an index, with
// traffic flowing (server engine only). The new release is a copy of this build with one more migration
// (a temporary migrations folder beside its dist/, as an install of the next release would have). The
// balancer is played by the test: an instance is taken out of the rotation before it is stopped, as the
// shipped nginx file's `down` mark does (docs/deployment.md, "Upgrades").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../src/platform/db/index.ts';
import { createScratchDatabase } from '../src/platform/db/scratch.ts';
import { request } from './helpers.ts';
import { compiled } from './fixtures/compiled.ts';
import { FAST_ENV, freePort, ROOT, spawnServer, waitReady, type Service } from './fixtures/service.ts';

const MIGRATION = '9000_rolling_upgrade_rehearsal.sql';

/** The next release: this build's dist/, migrations and message catalogues plus one expanding migration. */
function nextRelease(dir: string): string[] {
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'migrations'), join(dir, 'migrations'), { recursive: true });
  cpSync(join(ROOT, 'locales'), join(dir, 'locales'), { recursive: true });
  writeFileSync(
    join(dir, 'migrations', MIGRATION),
    // Expand only: a nullable column and an index, which the running release never notices.
    'ALTER TABLE users ADD COLUMN rehearsal_note text;\nCREATE INDEX users_rehearsal_note_idx ON users (rehearsal_note);\n',
  );
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  symlinkSync(join(ROOT, 'web'), join(dir, 'web'));
  return ['--enable-source-maps', join(dir, 'dist', 'server.js')];
}

test(
  'a rolling upgrade over an expanding migration: no failed request, migrations once, the old instance serves until stopped',
  { timeout: 900_000 },
  async (t) => {
    const { url, drop } = await createScratchDatabase(process.env.TEST_DATABASE_URL!, 'tc_roll');
    t.after(drop);
    const release = mkdtempSync(join(tmpdir(), 'telecare-release-'));
    t.after(() => rmSync(release, { recursive: true, force: true }));
    const next = nextRelease(release);
    const env = { ...FAST_ENV, DATABASE_URL: url, JWT_SECRET: 'a shared secret of at least thirty-two characters', DATA_DIR: release };
    const ports = { a: await freePort(), b: await freePort() };
    const services: Service[] = [];
    const start = async (port: number, entry: string[]) => {
      const s = spawnServer(env, port, entry);
      services.push(s);
      await waitReady(s);
      return s;
    };
    t.after(() => {
      for (const s of services) if (s.child.exitCode === null) s.child.kill('SIGKILL');
    });
    let a = await start(ports.a, compiled('server'));
    let b = await start(ports.b, compiled('server'));

    // The balancer: requests go round the instances in rotation; each phase's requests are counted.
    let rotation = [a, b];
    let phase = 'old';
    const served = new Map<string, number>();
    const failures: string[] = [];
    let stopping = false;
    let k = 0;
    // Requests in flight per instance: one is stopped only once it has none (nginx's `down` drains the same way).
    const inflight = new Map<number, number>();
    const send = async (method: string, path: string, body?: unknown) => {
      const s = rotation[k++ % rotation.length]!;
      const key = `${phase} :${s.port}`;
      inflight.set(s.port, (inflight.get(s.port) ?? 0) + 1);
      try {
        const res = await request(s.url, method, path, { body });
        if (res.status >= 400) failures.push(`${key} ${method} ${path} ${res.status} ${res.text}`);
        else if (method === 'POST') served.set(key, (served.get(key) ?? 0) + 1);
      } catch (err) {
        failures.push(`${key} ${method} ${path} ${(err as Error).message}`);
      } finally {
        inflight.set(s.port, inflight.get(s.port)! - 1);
      }
    };
    const drained = async (s: Service) => {
      while ((inflight.get(s.port) ?? 0) > 0) await new Promise((r) => setTimeout(r, 20));
    };
    const client = async (c: number) => {
      for (let i = 0; !stopping; i++) {
        await send('POST', '/api/v1/auth/register/patient', {
          username: `roll${c}x${i}`,
          email: `roll${c}x${i}@example.test`,
          password: 'correct horse battery',
          firstname: 'Roll',
          lastname: 'Ing',
          dateOfBirth: '1970-01-01',
          gender: 'other',
        });
        await send('GET', '/api/v1/doctors');
      }
    };
    const clients = [client(0), client(1)];
    const settle = async (key: string) => {
      const before = served.get(key) ?? 0;
      while ((served.get(key) ?? 0) < before + 3) await new Promise((r) => setTimeout(r, 50));
    };
    await settle(`old :${ports.a}`);

    // A: out of the rotation, stopped, back on the next release (which migrates), back in the rotation.
    rotation = [b];
    await drained(a);
    assert.equal(await a.stop(), 0);
    phase = 'a-upgraded';
    a = await start(ports.a, next);
    rotation = [a, b];
    // Old B and new A serve side by side over the expanded schema.
    await settle(`a-upgraded :${ports.b}`);
    await settle(`a-upgraded :${ports.a}`);

    rotation = [a];
    await drained(b);
    assert.equal(await b.stop(), 0);
    phase = 'b-upgraded';
    b = await start(ports.b, next);
    rotation = [a, b];
    await settle(`b-upgraded :${ports.b}`);
    stopping = true;
    await Promise.all(clients);

    assert.deepEqual(failures, [], 'no failed request during the roll');
    const applied = (s: Service) =>
      s
        .output()
        .split('\n')
        .filter((l) => l.includes('"migrations applied"'))
        .map((l) => JSON.parse(l).applied as string[]);
    assert.deepEqual(applied(a), [[MIGRATION]], 'the first new instance applied the migration');
    assert.deepEqual(applied(b), [], 'the second found the schema up to date');
    assert.match(b.output(), /database schema is up to date/);

    const db = await openDatabase({ databaseUrl: url, pgliteDir: '' });
    t.after(() => db.close());
    const [m] = await db.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM schema_migrations WHERE name = ${MIGRATION}`);
    assert.equal(m!.n, 1);
    const [idx] = await db.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM pg_indexes WHERE indexname = 'users_rehearsal_note_idx'`);
    assert.equal(idx!.n, 1);
    const [users] = await db.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM users WHERE username LIKE 'roll%'`);
    assert.equal(
      users!.n,
      [...served.values()].reduce((x, y) => x + y, 0),
      'every registration of the roll is there',
    );
    for (const s of [a, b]) assert.equal(await s.stop(), 0);
    assert.ok(readdirSync(release).includes('migrations'));
  },
);
