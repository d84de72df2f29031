import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { build, ENGINE, expectProblem } from './helpers.ts';
import { ConfigError, EnvSchema, ensureSecret, loadConfig, readEnv } from '../src/platform/config.ts';
import { installErrorHandling } from '../src/platform/http.ts';
import { AppError } from '../src/platform/errors.ts';
import { cursorCodec, encodeCursor } from '../src/platform/pagination.ts';
import { sql } from 'drizzle-orm';

test('x-request-id is echoed when sane and generated otherwise, on every response', async (t) => {
  const app = await build(t);
  const sane = await app.request('GET', '/health/live', { headers: { 'x-request-id': 'abc-123.def' } });
  assert.equal(sane.headers.get('x-request-id'), 'abc-123.def');
  const insane = await app.request('GET', '/health/live', { headers: { 'x-request-id': 'bad id <script>' } });
  assert.match(insane.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  const missing = await app.request('GET', '/nope');
  assert.match(missing.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  expectProblem(missing, 404, 'NOT_FOUND');
  assert.equal(missing.body.requestId, missing.headers.get('x-request-id'));
});

test('health: live and ready answer 200 while the database answers', async (t) => {
  const app = await build(t);
  assert.equal((await app.request('GET', '/health/live')).status, 200);
  const ready = await app.request('GET', '/health/ready');
  assert.equal(ready.status, 200);
  assert.equal(ready.body.engine, app.database.engine);
});

test('the OpenAPI 3.1 document is generated from the route schemas and /docs serves it', async (t) => {
  const app = await build(t);
  const doc = await app.request('GET', '/openapi.json');
  assert.equal(doc.status, 200);
  assert.equal(doc.body.openapi, '3.1.0');
  const login = doc.body.paths['/api/v1/auth/login'].post;
  assert.deepEqual(login.requestBody.content['application/json'].schema.required.sort(), ['login', 'password']);
  assert.equal(login.requestBody.content['application/json'].schema.additionalProperties, false);
  assert.ok(doc.body.components.schemas.Problem);
  assert.ok(doc.body.paths['/api/v1/me'].get.security);
  const docs = await app.request('GET', '/docs/');
  assert.equal(docs.status, 200);
  assert.match(docs.text, /swagger/i);
});

test('an oversized body is 400 VALIDATION_FAILED, not 413 or 5xx', async (t) => {
  const app = await build(t, { bodyLimitBytes: 2048 });
  const res = await app.request('POST', '/api/v1/auth/login', { body: { login: 'x'.repeat(5000), password: 'y' } });
  expectProblem(res, 400, 'VALIDATION_FAILED');
});

test('a 500 says only INTERNAL and the request id; AppErrors render as problem+json', async () => {
  const app = Fastify({ logger: false });
  installErrorHandling(app);
  app.get('/boom', async () => {
    throw new Error('secret SQL: SELECT * FROM users at line 3');
  });
  app.get('/conflict', async () => {
    throw new AppError('SLOT_UNAVAILABLE', 'taken');
  });
  const boom = await app.inject({ method: 'GET', url: '/boom' });
  assert.equal(boom.statusCode, 500);
  const body = boom.json();
  assert.equal(body.code, 'INTERNAL');
  assert.ok(body.requestId);
  assert.doesNotMatch(boom.body, /secret|SELECT|line 3|stack/);
  assert.match(boom.headers['content-type'] as string, /application\/problem\+json/);
  const c = await app.inject({ method: 'GET', url: '/conflict' });
  assert.equal(c.statusCode, 409);
  assert.equal(c.json().code, 'SLOT_UNAVAILABLE');
});

test('configuration: an invalid value stops start-up with a message naming the variable', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ PORT: 'abc' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
    [{ DATABASE_URL: 'not a url' }, /DATABASE_URL/],
    [{ SMTP_URL: 'http://mail' }, /SMTP_URL/],
    [{ PUBLIC_URL: 'ftp://x' }, /PUBLIC_URL/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ JWT_SECRET: 'short' }, /JWT_SECRET/],
    [{ MAIL_FROM: 'nobody' }, /MAIL_FROM/],
    [{ LOGIN_MAX_FAILURES_PER_ADDRESS: '-1' }, /LOGIN_MAX_FAILURES_PER_ADDRESS/],
  ];
  for (const [env, re] of cases)
    assert.throws(
      () => loadConfig(env),
      (e: unknown) => e instanceof ConfigError && re.test((e as Error).message),
    );
  const c = loadConfig({});
  assert.equal(c.port, 3000);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.databaseUrl, null);
  assert.equal(c.publicUrl, 'http://127.0.0.1:3000');
});

test('the signing secret is generated once, kept in DATA_DIR with owner-only permissions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'telecare-secret-'));
  const a = ensureSecret(loadConfig({ DATA_DIR: dir }));
  const b = ensureSecret(loadConfig({ DATA_DIR: dir }));
  assert.equal(a.jwtSecret, b.jwtSecret);
  assert.ok(a.jwtSecret.length >= 32);
  assert.equal(statSync(join(dir, 'secret.key')).mode & 0o777, 0o600);
  assert.equal(readFileSync(join(dir, 'secret.key'), 'utf8').trim(), a.jwtSecret);
  assert.equal(ensureSecret(loadConfig({ DATA_DIR: dir, JWT_SECRET: 'y'.repeat(40) })).jwtSecret, 'y'.repeat(40));
});

// Embedded engine only: a server PostgreSQL vacuums itself and the timer is not started there.
if (ENGINE === 'pglite') {
  test('the embedded engine, which has no autovacuum, is vacuumed and analysed shortly after start', async (t) => {
    const app = await build(t, { embeddedVacuumIntervalMinutes: 60 });
    const vacuumed = async () =>
      (await app.database.rows<{ v: string | null }>(sql`select last_vacuum as v from pg_stat_user_tables where relname = 'doctors'`))[0]
        ?.v;
    assert.equal(await vacuumed(), null);
    for (let i = 0; i < 100 && !(await vacuumed()); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(await vacuumed(), 'VACUUM ANALYZE ran within 10 s of start');
  });
}

test('password hashing runs at most HASH_CONCURRENCY at once; the rest wait their turn', async () => {
  const argon2 = (await import('argon2')).default;
  const { Passwords } = await import('../src/platform/passwords.ts');
  const original = argon2.hash;
  let active = 0;
  let peak = 0;
  argon2.hash = (async (...args: Parameters<typeof original>) => {
    active++;
    peak = Math.max(peak, active);
    try {
      return await original(...args);
    } finally {
      active--;
    }
  }) as typeof original;
  try {
    const passwords = new Passwords({ memoryCost: 1024, timeCost: 1, parallelism: 1 }, 2);
    const hashes = await Promise.all(Array.from({ length: 8 }, (_, i) => passwords.hash(`password number ${i}`)));
    assert.equal(peak, 2);
    assert.ok(await passwords.verify(hashes[5], 'password number 5'));
    assert.equal(await passwords.verify(hashes[5], 'password number 4'), false);
  } finally {
    argon2.hash = original;
  }
});

test('headers: nosniff on every response, no-store on API answers (errors too), a CSP for the API and a working one on /docs', async (t) => {
  const app = await build(t);
  const { createPatient: newPatient } = await import('./helpers.ts');
  const patient = await newPatient(app);
  const cases: [string, string, string | undefined][] = [
    ['GET', '/api/v1/me', patient.token],
    ['GET', '/api/v1/patients/me', patient.token],
    ['GET', '/api/v1/doctors', undefined],
    ['GET', '/api/v1/me', undefined],
    ['GET', '/api/v1/no/such/route', undefined],
    ['GET', '/api/v1/patients/%E0%A4%A', patient.token],
    ['POST', '/api/v1/auth/login', undefined],
    ['GET', '/health/ready', undefined],
  ];
  for (const [method, path, token] of cases) {
    const res = await app.request(method, path, { token, body: method === 'POST' ? { login: 'x', password: 'y' } : undefined });
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `${method} ${path}`);
    assert.match(res.headers.get('cache-control') ?? '', /no-store/, `${method} ${path}`);
  }
  const api = await app.request('GET', '/api/v1/doctors');
  assert.match(api.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  assert.equal(api.headers.get('x-frame-options'), 'SAMEORIGIN');
  // swagger-ui's page gets its own CSP: scripts and styles from self only (its page has no inline script,
  // so the CSP does not break it), no plain-HTTP upgrade.
  const docs = await app.request('GET', '/docs/');
  assert.equal(docs.status, 200);
  const csp = docs.headers.get('content-security-policy') ?? '';
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  const scripts = [...docs.text.matchAll(/<script([^>]*)>/g)];
  assert.ok(scripts.length > 0 && scripts.every((m) => /\bsrc=/.test(m[1])), 'every script of the docs page is a file the CSP allows');
  assert.doesNotMatch(csp, /upgrade-insecure-requests|default-src 'none'/);
  assert.equal(docs.headers.get('x-content-type-options'), 'nosniff');
  for (const asset of ['/docs/static/swagger-ui-bundle.js', '/docs/json'])
    assert.equal((await app.request('GET', asset)).status, 200, asset);
});

test('a known path with an unknown method answers 405 METHOD_NOT_ALLOWED with Allow; an unknown path stays 404', async (t) => {
  const app = await build(t);
  const { expectProblem } = await import('./helpers.ts');
  const cases: [string, string, string][] = [
    ['DELETE', '/api/v1/auth/login', 'POST'],
    ['PUT', '/api/v1/doctors', 'GET, HEAD'],
    ['POST', '/api/v1/doctors/00000000-0000-4000-8000-000000000000', 'GET, HEAD'],
    ['DELETE', '/api/v1/doctors/me', 'GET, HEAD, PATCH'],
    ['PATCH', '/api/v1/appointments/00000000-0000-4000-8000-000000000000/confirm', 'POST'],
  ];
  for (const [method, path, allow] of cases) {
    const res = await app.request(method, path);
    expectProblem(res, 405, 'METHOD_NOT_ALLOWED');
    assert.equal(res.headers.get('allow'), allow, `${method} ${path}`);
  }
  expectProblem(await app.request('DELETE', '/api/v1/nothing/here'), 404, 'NOT_FOUND');
});

// The FHIR API answers errors as OperationOutcome in application/fhir+json (the contract's rule for /fhir/R4).
test('the OpenAPI document gives every problem response as application/problem+json (FHIR: application/fhir+json)', async (t) => {
  const app = await build(t);
  const doc = (await app.request('GET', '/openapi.json')).body;
  let problems = 0;
  const wrong: string[] = [];
  for (const [path, ops] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(ops)) {
      for (const [status, r] of Object.entries<any>(op.responses ?? {})) {
        if (Number(status) < 400) continue;
        problems++;
        const types = Object.keys(r.content ?? {});
        const expected = path.startsWith('/fhir/') ? 'application/fhir+json' : 'application/problem+json';
        if (types.length !== 1 || types[0] !== expected) wrong.push(`${method} ${path} ${status}: ${types.join(',')}`);
      }
    }
  }
  assert.ok(problems > 100, `${problems} problem responses`);
  assert.deepEqual(wrong, []);
});

test('typed cursors: what a list made round-trips; a forged value of any kind is 400 at the cursor parameter', () => {
  const c = cursorCodec('instant', 'uuid');
  const id = '3f1c8a54-2b7e-4d0a-9c1e-5a6b7c8d9e0f';
  for (const at of ['2026-03-29T01:30:00.000Z', '2026-03-29T01:30:00.123456Z', '2026-03-29T01:30:00Z']) {
    assert.deepEqual(c.decode(c.encode([at, id])), [at, id]);
  }
  assert.equal(c.decode(undefined), null);
  const rejects = (cursor: string, path = '/cursor', codec: { decode(c: string, p?: string): unknown } = c) =>
    assert.throws(
      () => codec.decode(cursor, path),
      (e: unknown) => e instanceof AppError && e.code === 'VALIDATION_FAILED' && e.errors?.[0]?.path === path,
      cursor,
    );
  rejects(encodeCursor(['2026-03-29T01:30:00.000Z', 'not-a-uuid']));
  rejects(encodeCursor(['2026-12-31T23:59:60Z', id])); // a leap second: no instant to compare with
  rejects(encodeCursor(['2026-02-30T00:00:00Z', id]));
  rejects(encodeCursor(['2026-03-29T01:30:00.1234567Z', id])); // finer than PostgreSQL keeps
  rejects(encodeCursor(['2026-03-29T01:30:00+02:00', id])); // one spelling: UTC
  rejects(encodeCursor([1, id]));
  rejects(encodeCursor([id]));
  rejects('%%%');
  rejects(Buffer.from('{"a":1}').toString('base64url'));
  const seq = cursorCodec('int');
  rejects(encodeCursor([1.5]), '/_cursor', seq);
  rejects(encodeCursor([2 ** 60]), '/_cursor', seq);
  assert.deepEqual(seq.decode(seq.encode([42])), [42]);
  rejects(encodeCursor(['x'.repeat(257)]), '/cursor', cursorCodec('text'));
});

test("the README's configuration table is the environment schema: every variable listed once, every literal default the same", () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8').split('\n');
  const start = readme.findIndex((l) => l.startsWith('| variable'));
  assert.ok(start > 0, 'the README has a configuration table');
  const rows: string[] = [];
  for (const line of readme.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line);
  }
  const listed = new Map<string, string | undefined>();
  for (const row of rows) {
    const [, names = '', defaults = ''] = row.split('|');
    const vars = [...names.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!);
    const literals = [...defaults.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    vars.forEach((v, i) => {
      assert.ok(!listed.has(v), `${v} is listed once`);
      listed.set(v, vars.length > 1 ? literals[i] : literals[0]);
    });
  }
  const schema = EnvSchema.properties as Record<string, { default?: unknown }>;
  assert.deepEqual([...listed.keys()].sort(), Object.keys(schema).sort(), 'the README lists exactly the variables loadConfig reads');
  for (const [name, s] of Object.entries(schema)) {
    if (s.default === undefined) continue;
    assert.equal(listed.get(name), String(s.default), `${name}: the README's default is the schema's`);
  }
  // The schema is what loadConfig reads: every default applies when the variable is unset.
  assert.equal(readEnv({}).PORT, 3000);
});

test('the Drizzle transaction override is pinned to the drizzle-orm it replaces: an upgrade fails here until it is re-read', async () => {
  // src/platform/db/index.ts replaces NodePgSession.transaction (BEGIN outside its try leaked pooled clients) and
  // hooks its COMMIT: both are written against 0.45's internals, which a minor release may change silently.
  const { version } = JSON.parse(readFileSync(new URL('../node_modules/drizzle-orm/package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  assert.match(
    version,
    /^0\.45\./,
    `drizzle-orm ${version}: re-read releasePooledClientsOnFailure in src/platform/db/index.ts, then move this pin`,
  );
  const { NodePgSession, NodePgTransaction } = await import('drizzle-orm/node-postgres');
  assert.equal(typeof NodePgSession.prototype.transaction, 'function');
  assert.equal(typeof NodePgTransaction, 'function');
  assert.match(
    String(NodePgSession.prototype.transaction),
    /begin/i,
    'upstream still opens the transaction with BEGIN inside transaction()',
  );
});
