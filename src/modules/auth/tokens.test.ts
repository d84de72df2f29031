// Item 13 of issue 11: access-token claims, the bearer scheme, the two-tab refresh grace, suspension
// on refresh, and whose request id the audit trail keeps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
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

test('the HS256 check (fast-jwt and our claim rules): alg pinned, typ checked, exp required and live, signature constant-time', async () => {
  const { AccessTokens } = await import('../../platform/tokens.ts');
  const secret = 's'.repeat(64);
  const tokens = new AccessTokens(secret, 900);
  const key = new TextEncoder().encode(secret);
  const sub = '00000000-0000-4000-8000-000000000001';
  const sid = '00000000-0000-4000-8000-000000000002';
  const now = Math.floor(Date.now() / 1000);
  const good = await tokens.sign({ sub, sid, role: 'PATIENT' });
  assert.deepEqual(await tokens.verify(good), { sub, sid, role: 'PATIENT' });
  // jose still verifies what we sign: signing stays compatible.
  const { jwtVerify } = await import('jose');
  assert.equal((await jwtVerify(good, key, { algorithms: ['HS256'] })).payload.sub, sub);

  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const [, payload, signature] = good.split('.');
  const hmac = (input: string) => createHmac('sha256', key).update(input).digest('base64url');
  const signed = (header: unknown, body: unknown) => {
    const input = `${b64(header)}.${b64(body)}`;
    return `${input}.${hmac(input)}`;
  };
  const claims = { sid, role: 'PATIENT', sub, iat: now, exp: now + 300 };
  assert.ok(await tokens.verify(signed({ alg: 'HS256' }, claims)), 'typ is optional');
  const refused: Record<string, string> = {
    'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`,
    'alg none, signature kept': `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.${signature}`,
    'alg HS512': signed({ alg: 'HS512', typ: 'JWT' }, claims),
    'alg RS256 signed with the HMAC key': signed({ alg: 'RS256', typ: 'JWT' }, claims),
    'alg hs256 (case)': signed({ alg: 'hs256' }, claims),
    'no alg': signed({ typ: 'JWT' }, claims),
    'typ other than JWT': signed({ alg: 'HS256', typ: 'at+jwt+x' }, claims),
    'crit header': signed({ alg: 'HS256', crit: ['exp'] }, claims),
    'missing exp': signed({ alg: 'HS256' }, { ...claims, exp: undefined }),
    'string exp': signed({ alg: 'HS256' }, { ...claims, exp: String(now + 300) }),
    expired: signed({ alg: 'HS256' }, { ...claims, exp: now - 1 }),
    'expiring now': signed({ alg: 'HS256' }, { ...claims, exp: now }),
    'missing iat': signed({ alg: 'HS256' }, { ...claims, iat: undefined }),
    'missing sub': signed({ alg: 'HS256' }, { ...claims, sub: undefined }),
    'sub not a uuid': signed({ alg: 'HS256' }, { ...claims, sub: 'admin' }),
    'not yet valid': signed({ alg: 'HS256' }, { ...claims, nbf: now + 600 }),
    'bad signature': `${good.split('.').slice(0, 2).join('.')}.${hmac('something else')}`,
    'truncated signature': good.slice(0, -2),
    'empty signature': `${good.split('.').slice(0, 2).join('.')}.`,
    'tampered payload': `${good.split('.')[0]}.${b64({ ...claims, role: 'ADMIN' })}.${signature}`,
    'signed with another key': `${b64({ alg: 'HS256' })}.${b64(claims)}.${createHmac('sha256', 'x'.repeat(64))
      .update(`${b64({ alg: 'HS256' })}.${b64(claims)}`)
      .digest('base64url')}`,
    'four segments': `${good}.x`,
    'not base64url': `${good.split('.')[0]}.${payload}+/.${signature}`,
    'payload not an object': signed({ alg: 'HS256' }, [claims]),
    empty: '',
  };
  for (const [why, token] of Object.entries(refused)) assert.equal(await tokens.verify(token), null, why);
});

test('forged alg and a missing exp are refused at the HTTP guard too', async (t) => {
  const app = await build(t);
  const p = await createPatient(app);
  const [, payload] = p.token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const hs512 = `${b64({ alg: 'HS512', typ: 'JWT' })}.${payload}`;
  const noExpInput = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ ...claims, exp: undefined })}`;
  for (const token of [
    `${b64({ alg: 'none' })}.${payload}.`,
    `${hs512}.${createHmac('sha512', app.config.jwtSecret).update(hs512).digest('base64url')}`,
    `${noExpInput}.${createHmac('sha256', app.config.jwtSecret).update(noExpInput).digest('base64url')}`,
  ]) {
    expectProblem(await app.request('GET', '/api/v1/me', { token }), 401, 'UNAUTHENTICATED');
  }
  assert.equal((await app.request('GET', '/api/v1/me', { token: p.token })).status, 200);
});
