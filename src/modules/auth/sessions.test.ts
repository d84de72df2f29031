import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, UnsecuredJWT } from 'jose';
import { sql } from 'drizzle-orm';
import { build, createPatient, expectProblem, mailbox, tokenFromMail, PASSWORD } from '../../../test/helpers.ts';

test('login works with username or email in any case; wrong password and unknown user get the same 401', async (t) => {
  const app = await build(t);
  const p = await createPatient(app);
  for (const login of [p.username, p.username.toUpperCase(), p.email, p.email.toUpperCase()]) {
    const res = await app.request('POST', '/api/v1/auth/login', { body: { login, password: PASSWORD } });
    assert.equal(res.status, 200, login);
    assert.equal(res.body.expiresIn, 900);
    assert.equal(res.body.user.id, p.id);
    assert.doesNotMatch(res.text, /hash|argon/);
  }
  const wrong = await app.request('POST', '/api/v1/auth/login', { body: { login: p.username, password: 'wrong password!' } });
  const unknown = await app.request('POST', '/api/v1/auth/login', { body: { login: 'nobody', password: 'wrong password!' } });
  expectProblem(wrong, 401, 'INVALID_CREDENTIALS');
  expectProblem(unknown, 401, 'INVALID_CREDENTIALS');
  assert.equal(wrong.body.detail, unknown.body.detail);
});

test('an unverified user may log in and read their profile', async (t) => {
  const app = await build(t);
  const p = await createPatient(app, { verified: false });
  const me = await app.request('GET', '/api/v1/me', { token: p.token });
  assert.equal(me.status, 200);
  assert.equal(me.body.user.isEmailVerified, false);
});

test('GET /me without, with a malformed, forged, alg:none, expired or tampered token is 401', async (t) => {
  const app = await build(t);
  const p = await createPatient(app);
  const claims = JSON.parse(Buffer.from(p.token.split('.')[1], 'base64url').toString());
  const wrongKey = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('x'.repeat(64)));
  const none = new UnsecuredJWT(claims).encode();
  const key = new TextEncoder().encode(app.config.jwtSecret);
  const expired = await new SignJWT({ ...claims, exp: Math.floor(Date.now() / 1000) - 10 }).setProtectedHeader({ alg: 'HS256' }).sign(key);
  const [h, , s] = p.token.split('.');
  const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, role: 'ADMIN' })).toString('base64url')}.${s}`;
  for (const authorization of [
    undefined,
    'Bearer',
    'Bearer abc',
    `Basic ${p.token}`,
    `Bearer ${wrongKey}`,
    `Bearer ${none}`,
    `Bearer ${expired}`,
    `Bearer ${tampered}`,
  ]) {
    const res = await app.request('GET', '/api/v1/me', { headers: authorization ? { authorization } : {} });
    expectProblem(res, 401, 'UNAUTHENTICATED');
  }
  assert.equal((await app.request('GET', '/api/v1/me', { token: p.token })).status, 200);
});

test('refresh rotates the token; replaying a spent one revokes the whole session family', async (t) => {
  const app = await build(t);
  const p = await createPatient(app);
  const r1 = await app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: p.refreshToken } });
  assert.equal(r1.status, 200);
  assert.notEqual(r1.body.refreshToken, p.refreshToken);
  assert.equal((await app.request('GET', '/api/v1/me', { token: r1.body.accessToken })).status, 200);
  // Past the two-tab grace (10 s, moved back in the database rather than waited for)…
  await ageSpentTokens(app, 11);
  // …the attacker replays the spent token: the family dies, including the legitimate new tokens.
  expectProblem(await app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: p.refreshToken } }), 401, 'INVALID_TOKEN');
  expectProblem(await app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: r1.body.refreshToken } }), 401, 'INVALID_TOKEN');
  expectProblem(await app.request('GET', '/api/v1/me', { token: r1.body.accessToken }), 401, 'UNAUTHENTICATED');
  expectProblem(await app.request('GET', '/api/v1/me', { token: p.token }), 401, 'UNAUTHENTICATED');
  expectProblem(await app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: 'never-issued' } }), 401, 'INVALID_TOKEN');
  const events = await app.database.rows<{ n: number }>(
    sql`select count(*)::int as n from audit_events where action = 'auth.refresh' and outcome = 'FAILURE'`,
  );
  assert.equal(events[0].n, 3);
});

test('logout revokes only that session and is idempotent', async (t) => {
  const app = await build(t);
  const p = await createPatient(app);
  const other = await app.request('POST', '/api/v1/auth/login', { body: { login: p.username, password: PASSWORD } });
  assert.equal((await app.request('POST', '/api/v1/auth/logout', { body: { refreshToken: p.refreshToken } })).status, 204);
  assert.equal((await app.request('POST', '/api/v1/auth/logout', { body: { refreshToken: p.refreshToken } })).status, 204);
  assert.equal((await app.request('POST', '/api/v1/auth/logout', { body: { refreshToken: 'unknown' } })).status, 204);
  expectProblem(await app.request('GET', '/api/v1/me', { token: p.token }), 401, 'UNAUTHENTICATED');
  expectProblem(await app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: p.refreshToken } }), 401, 'INVALID_TOKEN');
  assert.equal((await app.request('GET', '/api/v1/me', { token: other.body.accessToken })).status, 200);
});

test('change-password keeps the current session, revokes the others, and checks the current password', async (t) => {
  const app = await build(t);
  const p = await createPatient(app);
  const other = await app.request('POST', '/api/v1/auth/login', { body: { login: p.username, password: PASSWORD } });
  expectProblem(
    await app.request('POST', '/api/v1/auth/change-password', { body: { currentPassword: 'x', newPassword: 'new password 123' } }),
    401,
    'UNAUTHENTICATED',
  );
  expectProblem(
    await app.request('POST', '/api/v1/auth/change-password', {
      token: p.token,
      body: { currentPassword: 'wrong password', newPassword: 'new password 123' },
    }),
    401,
    'INVALID_CREDENTIALS',
  );
  expectProblem(
    await app.request('POST', '/api/v1/auth/change-password', {
      token: p.token,
      body: { currentPassword: PASSWORD, newPassword: 'short' },
    }),
    400,
    'VALIDATION_FAILED',
  );
  assert.equal(
    (
      await app.request('POST', '/api/v1/auth/change-password', {
        token: p.token,
        body: { currentPassword: PASSWORD, newPassword: 'new password 123' },
      })
    ).status,
    204,
  );
  assert.equal((await app.request('GET', '/api/v1/me', { token: p.token })).status, 200);
  expectProblem(await app.request('GET', '/api/v1/me', { token: other.body.accessToken }), 401, 'UNAUTHENTICATED');
  expectProblem(
    await app.request('POST', '/api/v1/auth/login', { body: { login: p.username, password: PASSWORD } }),
    401,
    'INVALID_CREDENTIALS',
  );
  assert.equal(
    (await app.request('POST', '/api/v1/auth/login', { body: { login: p.username, password: 'new password 123' } })).status,
    200,
  );
});

test('reset-password sets the password, revokes every session, and its link works once', async (t) => {
  const app = await build(t);
  const p = await createPatient(app);
  await app.request('POST', '/api/v1/auth/forgot-password', { body: { email: p.email.toUpperCase() } });
  const token = tokenFromMail(await mailbox.waitFor(p.email, /reset/i), 'reset-password');
  expectProblem(await app.request('POST', '/api/v1/auth/reset-password', { body: { token, password: 'short' } }), 400, 'VALIDATION_FAILED');
  assert.equal((await app.request('POST', '/api/v1/auth/reset-password', { body: { token, password: 'brand new password' } })).status, 204);
  expectProblem(
    await app.request('POST', '/api/v1/auth/reset-password', { body: { token, password: 'brand new password' } }),
    401,
    'INVALID_TOKEN',
  );
  expectProblem(await app.request('GET', '/api/v1/me', { token: p.token }), 401, 'UNAUTHENTICATED');
  expectProblem(await app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: p.refreshToken } }), 401, 'INVALID_TOKEN');
  assert.equal((await app.request('POST', '/api/v1/auth/login', { body: { login: p.email, password: 'brand new password' } })).status, 200);
});

test('expired mail tokens are refused', async (t) => {
  const app = await build(t);
  const p = await createPatient(app);
  await app.request('POST', '/api/v1/auth/forgot-password', { body: { email: p.email } });
  const token = tokenFromMail(await mailbox.waitFor(p.email, /reset/i), 'reset-password');
  await app.database.rows(sql`update email_tokens set expires_at = now() - interval '1 second' where purpose = 'RESET_PASSWORD'`);
  expectProblem(
    await app.request('POST', '/api/v1/auth/reset-password', { body: { token, password: 'brand new password' } }),
    401,
    'INVALID_TOKEN',
  );
});

test('a suspended account is refused at login and on its very next call with an existing token', async (t) => {
  const app = await build(t);
  const p = await createPatient(app);
  await app.database.rows(sql`update users set account_status = 'SUSPENDED' where id = ${p.id}`);
  expectProblem(await app.request('GET', '/api/v1/me', { token: p.token }), 403, 'ACCOUNT_SUSPENDED');
  expectProblem(
    await app.request('POST', '/api/v1/auth/login', { body: { login: p.username, password: PASSWORD } }),
    403,
    'ACCOUNT_SUSPENDED',
  );
  expectProblem(await app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: p.refreshToken } }), 403, 'ACCOUNT_SUSPENDED');
  // A wrong password still gets the generic answer: suspension is told only to who knows the password.
  expectProblem(
    await app.request('POST', '/api/v1/auth/login', { body: { login: p.username, password: 'wrong password' } }),
    401,
    'INVALID_CREDENTIALS',
  );
});

test('no stored secret is a plain token: refresh and mail tokens are kept only as hashes', async (t) => {
  const app = await build(t);
  const p = await createPatient(app);
  const rows = await app.database.rows<{ token_hash: string }>(
    sql`select token_hash from refresh_tokens union all select token_hash from email_tokens`,
  );
  assert.ok(rows.length >= 2);
  assert.ok(rows.every((r) => r.token_hash !== p.refreshToken));
  const [u] = await app.database.rows<{ password_hash: string }>(sql`select password_hash from users where id = ${p.id}`);
  assert.match(u.password_hash, /^\$argon2id\$/);
});

test('login events are audited with outcome, ip and request id', async (t) => {
  const app = await build(t);
  const p = await createPatient(app);
  await app.request('POST', '/api/v1/auth/login', {
    body: { login: p.username, password: 'wrong password' },
    headers: { 'x-request-id': 'req-audit-1' },
  });
  const rows = await app.database.rows<{ outcome: string; actor_id: string; ip: string; request_id: string }>(
    sql`select outcome, actor_id, ip, request_id from audit_events where action = 'auth.login' order by seq`,
  );
  assert.deepEqual(
    rows.map((r) => r.outcome),
    ['SUCCESS', 'FAILURE'],
  );
  assert.equal(rows[1].actor_id, p.id);
  assert.equal(rows[1].ip, '127.0.0.1');
});

/** Moves the first use of every spent refresh token `seconds` into the past (instead of waiting). */
async function ageSpentTokens(app: Awaited<ReturnType<typeof build>>, seconds: number) {
  await app.database.rows(
    sql`update refresh_tokens set spent_at = spent_at - make_interval(secs => ${seconds}) where spent_at is not null`,
  );
}
