// Item 1 of issue 11: password hashing must not be a denial-of-service lever. The cheap checks come
// before any argon2 hash, the hashing queue is bounded (503 + Retry-After when full), and the
// anonymous hashing routes have their own per-address budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { build, doctorBody, expectProblem, patientBody, type TestApp, type TestResponse } from '../../../test/helpers.ts';

type Passwords = TestApp['app']['platform']['passwords'];

/**
 * Holds the only hashing slot until released, through the same gate every hash passes (the private
 * limiter, reached by a cast: there is no public way to keep a core busy on purpose). Deterministic,
 * unlike a slow hash racing a loaded machine.
 */
function holdSlot(passwords: Passwords): () => void {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  void (passwords as unknown as { limited: (work: () => Promise<void>) => Promise<void> }).limited(() => gate);
  assert.equal(passwords.load.active, 1);
  return release;
}

/** The answer while the slot is still held; a request that waits for a hash never gets one (fails after a generous deadline). */
async function answerWhileHeld(req: Promise<TestResponse>): Promise<TestResponse> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'waited'>((resolve) => {
    timer = setTimeout(() => resolve('waited'), 60_000);
  });
  const res = await Promise.race([req, deadline]);
  clearTimeout(timer);
  assert.notEqual(res, 'waited', 'the request waited for a password hash');
  return res as TestResponse;
}

test('a taken username or email and an unknown reset token answer before any hash is computed', async (t) => {
  const app = await build(t, { hashConcurrency: 1 });
  const taken = patientBody();
  assert.equal((await app.request('POST', '/api/v1/auth/register/patient', { body: taken })).status, 201);
  const release = holdSlot(app.app.platform.passwords);
  try {
    expectProblem(
      await answerWhileHeld(
        app.request('POST', '/api/v1/auth/register/patient', { body: patientBody({ username: taken.username.toUpperCase() }) }),
      ),
      409,
      'USERNAME_TAKEN',
    );
    expectProblem(
      await answerWhileHeld(
        app.request('POST', '/api/v1/auth/register/doctor', { body: doctorBody({ email: taken.email.toUpperCase() }) }),
      ),
      409,
      'EMAIL_TAKEN',
    );
    expectProblem(
      await answerWhileHeld(
        app.request('POST', '/api/v1/auth/reset-password', { body: { token: 'never-issued-token', password: 'a brand new password' } }),
      ),
      401,
      'INVALID_TOKEN',
    );
  } finally {
    release();
  }
});

test('when the hashing queue is full, login (known or unknown user) and registration answer 503 UNAVAILABLE with Retry-After at once', async (t) => {
  const app = await build(t, { hashConcurrency: 1, hashQueueMax: 1 });
  const known = patientBody();
  assert.equal((await app.request('POST', '/api/v1/auth/register/patient', { body: known })).status, 201);
  const passwords = app.app.platform.passwords;
  const release = holdSlot(passwords);
  // One hash may wait in the queue…
  const queued = passwords.hash('waiting in the queue');
  assert.equal(passwords.load.waiting, 1);
  try {
    // …the next ones are shed at once instead of waiting; an unknown user is treated exactly like a known one.
    for (const [path, body] of [
      ['/api/v1/auth/login', { login: known.username, password: 'wrong password' }],
      ['/api/v1/auth/login', { login: 'nobody-at-all', password: 'wrong password' }],
      ['/api/v1/auth/register/patient', patientBody()],
    ] as const) {
      const shed = await answerWhileHeld(app.request('POST', path, { body }));
      expectProblem(shed, 503, 'UNAVAILABLE');
      assert.ok(Number(shed.headers.get('retry-after')) >= 1, shed.text);
    }
  } finally {
    release();
  }
  await queued;
  // Once the queue drains, the same login is answered normally; the shed attempts were not counted as failures.
  const [{ n }] = await app.database.rows<{ n: number }>(sql`select count(*)::int as n from login_failures`);
  assert.equal(n, 0);
  assert.equal(
    (await app.request('POST', '/api/v1/auth/login', { body: { login: known.username, password: known.password } })).status,
    200,
  );
});

test('register, login and reset-password share a per-address budget of their own (429 RATE_LIMITED + Retry-After)', async (t) => {
  const app = await build(t, { authRateLimitMax: 3, authRateLimitWindowSeconds: 600, trustProxy: true });
  const from = (ip: string) => ({ 'x-forwarded-for': ip });
  expectProblem(
    await app.request('POST', '/api/v1/auth/login', { body: { login: 'someone1', password: 'wrong password' }, headers: from('10.3.3.3') }),
    401,
    'INVALID_CREDENTIALS',
  );
  expectProblem(
    await app.request('POST', '/api/v1/auth/reset-password', {
      body: { token: 'nope', password: 'a brand new password' },
      headers: from('10.3.3.3'),
    }),
    401,
    'INVALID_TOKEN',
  );
  assert.equal(
    (await app.request('POST', '/api/v1/auth/register/patient', { body: patientBody(), headers: from('10.3.3.3') })).status,
    201,
  );
  for (const [path, body] of [
    ['/api/v1/auth/login', { login: 'someone2', password: 'wrong password' }],
    ['/api/v1/auth/register/patient', patientBody()],
    ['/api/v1/auth/reset-password', { token: 'nope', password: 'a brand new password' }],
  ] as const) {
    const limited = await app.request('POST', path, { body, headers: from('10.3.3.3') });
    expectProblem(limited, 429, 'RATE_LIMITED');
    const retry = Number(limited.headers.get('retry-after'));
    assert.ok(retry > 0 && retry <= 600, `Retry-After ${retry}`);
  }
  // Another address, and routes that cost no hash, are not affected.
  expectProblem(
    await app.request('POST', '/api/v1/auth/login', { body: { login: 'someone3', password: 'wrong password' }, headers: from('10.4.4.4') }),
    401,
    'INVALID_CREDENTIALS',
  );
  assert.equal(
    (await app.request('POST', '/api/v1/auth/forgot-password', { body: { email: 'x@example.test' }, headers: from('10.3.3.3') })).status,
    202,
  );
});
