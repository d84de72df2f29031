// The production server compiles its route schemas on first use (src/platform/http.ts, compiledOnFirstUse),
// while the other tests' apps compile every route part as it is registered (test/fixtures/schema-compilers.ts).
// This app is built as src/server.ts builds it, without BuildOptions.compilers: its first and later requests
// are validated, coerced and serialised as the eagerly compiled apps' are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { buildApp } from '../src/app.ts';
import { expectProblem, freshDatabase, testConfig, type TestResponse } from './fixtures/app.ts';

test('schemas compiled on first use validate, coerce and serialise from the first request on', async (t) => {
  const { database, url, drop } = await freshDatabase();
  const app = await buildApp(testConfig({ databaseUrl: url }), { database, logger: pino({ level: 'silent' }), mailWorker: false });
  t.after(async () => {
    await app.close();
    await database.close();
    await drop();
  });
  const inject = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<TestResponse> => {
    const res = await app.inject({ method, url: path, ...(body === undefined ? {} : { payload: body as object }) });
    const text = res.body;
    return {
      status: res.statusCode,
      headers: new Headers(res.headers as Record<string, string>),
      body: text ? JSON.parse(text) : undefined,
      text,
    };
  };
  for (const round of ['first', 'second']) {
    // A body is never coerced: the number is refused, and the problem names its place.
    const login = await inject('POST', '/api/v1/auth/login', { login: 5, password: 'a password' });
    expectProblem(login, 400, 'VALIDATION_FAILED');
    assert.ok(
      login.body.errors.some((e: { path: string }) => e.path === '/login'),
      `${round}: ${login.text}`,
    );
    // A query string is coerced ("5" is a number) and checked (0 is below the minimum).
    const bad = await inject('GET', '/api/v1/doctors?limit=0');
    expectProblem(bad, 400, 'VALIDATION_FAILED');
    const ok = await inject('GET', '/api/v1/doctors?limit=5');
    assert.equal(ok.status, 200, `${round}: ${ok.text}`);
    // The response serializer writes the schema's properties only.
    assert.deepEqual(Object.keys(ok.body).sort(), ['items', 'nextCursor'], round);
  }
});
