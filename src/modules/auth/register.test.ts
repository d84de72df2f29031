import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, doctorBody, expectProblem, mailbox, patientBody, tokenFromMail, sleep } from '../../../test/helpers.ts';

const POSTS = [
  '/api/v1/auth/register/patient',
  '/api/v1/auth/register/doctor',
  '/api/v1/auth/verify-email',
  '/api/v1/auth/resend-verification',
  '/api/v1/auth/login',
  '/api/v1/auth/refresh',
  '/api/v1/auth/logout',
  '/api/v1/auth/forgot-password',
  '/api/v1/auth/reset-password',
];

test('every auth POST answers 400 VALIDATION_FAILED to garbage, never 5xx', async (t) => {
  const app = await build(t);
  const garbage = ['{bad', '[]', 'null', '"x"', '42', '{"a":', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}'];
  for (const path of POSTS) {
    for (const rawBody of garbage) {
      const res = await app.request('POST', path, { rawBody });
      expectProblem(res, 400, 'VALIDATION_FAILED');
    }
    expectProblem(await app.request('POST', path, {}), 400, 'VALIDATION_FAILED');
    expectProblem(await app.request('POST', path, { rawBody: 'a=b', headers: { 'content-type': 'text/plain' } }), 400, 'VALIDATION_FAILED');
  }
});

test('registration rejects each invalid field with its path, and writes nothing', async (t) => {
  const app = await build(t);
  const cases: [Record<string, unknown>, string][] = [
    [{ username: 'ab' }, '/username'],
    [{ username: 'a'.repeat(33) }, '/username'],
    [{ username: 'bad name' }, '/username'],
    [{ email: 'not-an-email' }, '/email'],
    [{ password: 'short' }, '/password'],
    [{ password: 'x'.repeat(129) }, '/password'],
    [{ firstname: '' }, '/firstname'],
    [{ lastname: 'a\u0000b' }, '/lastname'],
    [{ dateOfBirth: '1990-13-01' }, '/dateOfBirth'],
    [{ dateOfBirth: '2999-01-01' }, '/dateOfBirth'],
    [{ dateOfBirth: 19900101 }, '/dateOfBirth'],
    [{ gender: 'robot' }, '/gender'],
    [{ medicalHistory: 'x'.repeat(20001) }, '/medicalHistory'],
    [{ role: 'ADMIN' }, '/role'],
  ];
  for (const [override, path] of cases) {
    const res = await app.request('POST', '/api/v1/auth/register/patient', { body: patientBody(override) });
    expectProblem(res, 400, 'VALIDATION_FAILED');
    assert.ok(
      res.body.errors.some((e: { path: string }) => e.path === path),
      `${JSON.stringify(override)} → ${res.text}`,
    );
  }
  const missing = patientBody();
  delete (missing as Record<string, unknown>).gender;
  const res = await app.request('POST', '/api/v1/auth/register/patient', { body: missing });
  expectProblem(res, 400, 'VALIDATION_FAILED');
  assert.deepEqual(res.body.errors[0].path, '/gender');
  for (const [override, path] of [
    [{ timezone: 'Mars/Olympus' }, '/timezone'],
    [{ licenseNumber: '' }, '/licenseNumber'],
    [{ verificationStatus: 'VERIFIED' }, '/verificationStatus'],
  ] as const) {
    const r = await app.request('POST', '/api/v1/auth/register/doctor', { body: doctorBody(override) });
    expectProblem(r, 400, 'VALIDATION_FAILED');
    assert.equal(r.body.errors[0].path, path);
  }
  const [{ n }] = await app.database.rows<{ n: number }>((await import('drizzle-orm')).sql`select count(*)::int as n from users`);
  assert.equal(n, 0);
});

test('usernames and emails are unique case-insensitively (409 USERNAME_TAKEN / EMAIL_TAKEN)', async (t) => {
  const app = await build(t);
  const first = patientBody();
  assert.equal((await app.request('POST', '/api/v1/auth/register/patient', { body: first })).status, 201);
  const sameName = await app.request('POST', '/api/v1/auth/register/doctor', {
    body: doctorBody({ username: first.username.toUpperCase() }),
  });
  expectProblem(sameName, 409, 'USERNAME_TAKEN');
  const sameEmail = await app.request('POST', '/api/v1/auth/register/patient', { body: patientBody({ email: first.email.toUpperCase() }) });
  expectProblem(sameEmail, 409, 'EMAIL_TAKEN');
});

test('a doctor registers with verification PENDING and no private data leaks into the response', async (t) => {
  const app = await build(t);
  const res = await app.request('POST', '/api/v1/auth/register/doctor', { body: doctorBody() });
  assert.equal(res.status, 201);
  assert.equal(res.body.doctor.verificationStatus, 'PENDING');
  assert.equal(res.body.user.role, 'DOCTOR');
  assert.doesNotMatch(res.text, /password|argon2|hash/i);
});

test('resend-verification and forgot-password answer 202 whether or not the address exists', async (t) => {
  const app = await build(t);
  const body = patientBody();
  await app.request('POST', '/api/v1/auth/register/patient', { body });
  await mailbox.waitFor(body.email, /verif/i);
  for (const path of ['/api/v1/auth/resend-verification', '/api/v1/auth/forgot-password']) {
    const known = await app.request('POST', path, { body: { email: body.email } });
    const unknown = await app.request('POST', path, { body: { email: 'nobody@example.test' } });
    assert.equal(known.status, 202);
    assert.equal(unknown.status, 202);
    assert.equal(known.text, unknown.text);
  }
  await mailbox.waitFor(body.email, /reset/i);
  assert.equal(mailbox.count('nobody@example.test'), 0);
});

test('the verification mail links PUBLIC_URL/verify-email and a resent link works too; tokens are single-use', async (t) => {
  const app = await build(t);
  const body = patientBody();
  await app.request('POST', '/api/v1/auth/register/patient', { body });
  const first = await mailbox.waitFor(body.email, /verif/i);
  assert.match(first.text, /http:\/\/telecare\.test\/verify-email\?token=/);
  // The resend cooldown (60 s) means an immediate resend sends nothing more.
  await app.request('POST', '/api/v1/auth/resend-verification', { body: { email: body.email } });
  await sleep(300);
  assert.equal(mailbox.count(body.email, /verif/i), 1);
  const token = tokenFromMail(first, 'verify-email');
  expectProblem(await app.request('POST', '/api/v1/auth/verify-email', { body: { token: token + 'x' } }), 401, 'INVALID_TOKEN');
  assert.equal((await app.request('POST', '/api/v1/auth/verify-email', { body: { token } })).status, 200);
  expectProblem(await app.request('POST', '/api/v1/auth/verify-email', { body: { token } }), 401, 'INVALID_TOKEN');
});

test('a verification token cannot be used as a reset token and vice versa', async (t) => {
  const app = await build(t);
  const body = patientBody();
  await app.request('POST', '/api/v1/auth/register/patient', { body });
  const verify = tokenFromMail(await mailbox.waitFor(body.email, /verif/i), 'verify-email');
  expectProblem(
    await app.request('POST', '/api/v1/auth/reset-password', { body: { token: verify, password: 'another long password' } }),
    401,
    'INVALID_TOKEN',
  );
  await app.request('POST', '/api/v1/auth/forgot-password', { body: { email: body.email } });
  const reset = tokenFromMail(await mailbox.waitFor(body.email, /reset/i), 'reset-password');
  assert.match((await mailbox.waitFor(body.email, /reset/i)).text, /http:\/\/telecare\.test\/reset-password\?token=/);
  expectProblem(await app.request('POST', '/api/v1/auth/verify-email', { body: { token: reset } }), 401, 'INVALID_TOKEN');
});
