// Item 13 of issue 11: access-token claims, the bearer scheme, the two-tab refresh grace, suspension
// on refresh, and whose request id the audit trail keeps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { sql } from 'drizzle-orm';
import { build, createAdminUser, createPatient, expectProblem, PASSWORD } from '../../../test/helpers.ts';

/** Moves the first use of every spent refresh token `seconds` into the past (instead of waiting). */
async function ageSpentTokens(app: Awaited<ReturnType<typeof build>>, seconds: number) {
  await app.database.rows(
    sql`update refresh_tokens set spent_at = spent_at - make_interval(secs => ${seconds}) where spent_at is not null`,
  );
}

test('a client-chosen X-Request-Id is echoed, but the audit trail keeps the id the server made', async (t) => {
  const app = await build(t);
  const p = await createPatient(app);
  const res = await app.request('POST', '/api/v1/auth/login', {
    body: { login: p.username, password: 'wrong password' },
    headers: { 'x-request-id': 'req-audit-1' },
  });
  expectProblem(res, 401, 'INVALID_CREDENTIALS');
  assert.equal(res.headers.get('x-request-id'), 'req-audit-1');
  const rows = await app.database.rows<{ request_id: string }>(
    sql`select request_id from audit_events where action = 'auth.login' and outcome = 'FAILURE'`,
  );
  assert.equal(rows.length, 1);
  assert.notEqual(rows[0].request_id, 'req-audit-1');
  assert.match(rows[0].request_id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  // The problem document names the server's id, the one an operator finds in the trail.
  assert.equal(res.body.requestId, rows[0].request_id);
  // Forging another request's id changes nothing in the trail either.
  const again = await app.request('POST', '/api/v1/auth/login', {
    body: { login: p.username, password: PASSWORD },
    headers: { 'x-request-id': rows[0].request_id },
  });
  assert.equal(again.status, 200);
  const [{ n }] = await app.database.rows<{ n: number }>(
    sql`select count(*)::int as n from audit_events where request_id = ${rows[0].request_id}`,
  );
  assert.equal(n, 1);
});

test('access tokens signed with our key but without exp, iat or sub are refused', async (t) => {
  const app = await build(t);
  const p = await createPatient(app);
  const claims = JSON.parse(Buffer.from(p.token.split('.')[1], 'base64url').toString());
  const key = new TextEncoder().encode(app.config.jwtSecret);
  const { exp: _exp, iat: _iat, sub, ...rest } = claims;
  const noExp = await new SignJWT({ ...rest }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().sign(key);
  const noIat = await new SignJWT({ ...rest }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime('5m').sign(key);
  const noSub = await new SignJWT({ ...rest }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('5m').sign(key);
  const ok = await new SignJWT({ ...rest })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key);
  for (const token of [noExp, noIat, noSub]) expectProblem(await app.request('GET', '/api/v1/me', { token }), 401, 'UNAUTHENTICATED');
  assert.equal((await app.request('GET', '/api/v1/me', { token: ok })).status, 200);
});

test('the bearer scheme name is case-insensitive', async (t) => {
  const app = await build(t);
  const p = await createPatient(app);
  for (const scheme of ['bearer', 'BEARER', 'bEaReR', 'Bearer']) {
    const res = await app.request('GET', '/api/v1/me', { headers: { authorization: `${scheme} ${p.token}` } });
    assert.equal(res.status, 200, `${scheme}: ${res.text}`);
  }
  expectProblem(await app.request('GET', '/api/v1/me', { headers: { authorization: `Bearerx ${p.token}` } }), 401, 'UNAUTHENTICATED');
});

test('two tabs refreshing with the same token within 10 s both get the same successor pair and stay signed in', async (t) => {
  const app = await build(t);
  const p = await createPatient(app);
  // At once, as two tabs waking up together…
  const [a, b] = await Promise.all(
    [p.refreshToken, p.refreshToken].map((refreshToken) => app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken } })),
  );
  assert.equal(a.status, 200, a.text);
  assert.equal(b.status, 200, b.text);
  assert.deepEqual(b.body, a.body);
  // …and a third one a moment later.
  const c = await app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: p.refreshToken } });
  assert.deepEqual(c.body, a.body);
  assert.equal((await app.request('GET', '/api/v1/me', { token: a.body.accessToken })).status, 200);
  // The shared successor rotates normally, and the session is still alive.
  const next = await app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: a.body.refreshToken } });
  assert.equal(next.status, 200, next.text);
  assert.equal((await app.request('GET', '/api/v1/me', { token: next.body.accessToken })).status, 200);
  const [{ n }] = await app.database.rows<{ n: number }>(sql`select count(*)::int as n from refresh_tokens`);
  assert.equal(n, 3);
  // After the window, presenting the first token again is reuse: the family is revoked.
  await ageSpentTokens(app, 11);
  expectProblem(await app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: p.refreshToken } }), 401, 'INVALID_TOKEN');
  expectProblem(
    await app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: next.body.refreshToken } }),
    401,
    'INVALID_TOKEN',
  );
  expectProblem(await app.request('GET', '/api/v1/me', { token: next.body.accessToken }), 401, 'UNAUTHENTICATED');
});

test('within the grace a spent token of a revoked session does not come back to life', async (t) => {
  const app = await build(t);
  const p = await createPatient(app);
  const r1 = await app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: p.refreshToken } });
  assert.equal(r1.status, 200);
  assert.equal((await app.request('POST', '/api/v1/auth/logout', { body: { refreshToken: r1.body.refreshToken } })).status, 204);
  expectProblem(await app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: p.refreshToken } }), 401, 'INVALID_TOKEN');
});

test('a user suspended through the admin API gets 403 ACCOUNT_SUSPENDED on refresh, though suspension revoked the session', async (t) => {
  const app = await build(t);
  const admin = await createAdminUser(app);
  const p = await createPatient(app);
  const res = await app.request('PATCH', `/api/v1/admin/users/${p.id}`, { token: admin.token, body: { accountStatus: 'SUSPENDED' } });
  assert.equal(res.status, 200, res.text);
  const [{ revoked }] = await app.database.rows<{ revoked: number }>(
    sql`select count(*)::int as revoked from sessions where user_id = ${p.id} and revoked_at is not null`,
  );
  assert.ok(revoked >= 1);
  expectProblem(await app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: p.refreshToken } }), 403, 'ACCOUNT_SUSPENDED');
});
