// Browser mode (contract: Auth): the refresh token in an HttpOnly cookie scoped to the auth paths, CSRF
// by signed double submit on cookie-based refresh and logout; JSON mode untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, createPatient, expectProblem, PASSWORD, type TestApp } from '../../../test/helpers.ts';

function cookies(res: { headers: Headers }): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of res.headers.getSetCookie()) out.set(c.split('=')[0], c);
  return out;
}
const value = (setCookie: string) => setCookie.split(';')[0].split('=').slice(1).join('=');

async function cookieLogin(app: TestApp, login: string) {
  const res = await app.request('POST', '/api/v1/auth/login', { body: { login, password: PASSWORD, session: 'cookie' } });
  assert.equal(res.status, 200, res.text);
  const c = cookies(res);
  return { res, refresh: value(c.get('tc_refresh')!), csrf: value(c.get('tc_csrf')!), raw: c };
}
const cookieHeader = (refresh: string, csrf: string) => `tc_refresh=${refresh}; tc_csrf=${csrf}`;

test('cookie login sets an HttpOnly SameSite=Strict refresh cookie on the auth path and leaves it out of the JSON', async (t) => {
  const app = await build(t);
  const p = await createPatient(app);
  const { res, raw, refresh, csrf } = await cookieLogin(app, p.username);
  assert.equal(res.body.refreshToken, undefined);
  assert.ok(res.body.accessToken && res.body.user.id === p.id);
  const rc = raw.get('tc_refresh')!;
  assert.match(rc, /HttpOnly/i);
  assert.match(rc, /SameSite=Strict/i);
  assert.match(rc, /Path=\/api\/v1\/auth/);
  assert.doesNotMatch(rc, /Secure/i, 'plain http PUBLIC_URL: no Secure flag');
  assert.doesNotMatch(raw.get('tc_csrf')!, /HttpOnly/i);
  assert.ok(refresh.length > 20 && csrf.length > 20);
});

test('the refresh cookie is Secure when PUBLIC_URL is https', async (t) => {
  const app = await build(t, { publicUrl: 'https://telecare.test' });
  const p = await createPatient(app);
  const { raw } = await cookieLogin(app, p.username);
  assert.match(raw.get('tc_refresh')!, /Secure/);
  assert.match(raw.get('tc_csrf')!, /Secure/);
});

test('cookie refresh needs the CSRF header: missing or wrong → 403, right → new access token and rotated cookies', async (t) => {
  const app = await build(t);
  const p = await createPatient(app);
  const { refresh, csrf } = await cookieLogin(app, p.username);
  const body = { session: 'cookie' };
  expectProblem(
    await app.request('POST', '/api/v1/auth/refresh', { body, headers: { cookie: cookieHeader(refresh, csrf) } }),
    403,
    'FORBIDDEN',
  );
  expectProblem(
    await app.request('POST', '/api/v1/auth/refresh', {
      body,
      headers: { cookie: cookieHeader(refresh, csrf), 'x-csrf-token': (csrf[0] === 'x' ? 'y' : 'x') + csrf.slice(1) },
    }),
    403,
    'FORBIDDEN',
  );
  const ok = await app.request('POST', '/api/v1/auth/refresh', {
    body,
    headers: { cookie: cookieHeader(refresh, csrf), 'x-csrf-token': csrf },
  });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.refreshToken, undefined);
  const me = await app.request('GET', '/api/v1/me', { token: ok.body.accessToken });
  assert.equal(me.body.user.id, p.id);
  const next = cookies(ok);
  assert.notEqual(value(next.get('tc_refresh')!), refresh, 'the refresh token rotates');
  assert.notEqual(value(next.get('tc_csrf')!), csrf, 'the CSRF token follows it');
  // The CSRF value of one session does not unlock another.
  const other = await cookieLogin(app, p.username);
  expectProblem(
    await app.request('POST', '/api/v1/auth/refresh', {
      body,
      headers: { cookie: cookieHeader(other.refresh, other.csrf), 'x-csrf-token': value(next.get('tc_csrf')!) },
    }),
    403,
    'FORBIDDEN',
  );
});

test('cookie refresh without a cookie is 401 INVALID_TOKEN; a body with both modes is 400', async (t) => {
  const app = await build(t);
  expectProblem(
    await app.request('POST', '/api/v1/auth/refresh', { body: { session: 'cookie' }, headers: { 'x-csrf-token': 'x' } }),
    401,
    'INVALID_TOKEN',
  );
  expectProblem(
    await app.request('POST', '/api/v1/auth/refresh', { body: { session: 'cookie', refreshToken: 'abc' } }),
    400,
    'VALIDATION_FAILED',
  );
  expectProblem(await app.request('POST', '/api/v1/auth/refresh', { body: {} }), 400, 'VALIDATION_FAILED');
  expectProblem(
    await app.request('POST', '/api/v1/auth/login', { body: { login: 'a', password: 'b', session: 'jar' } }),
    400,
    'VALIDATION_FAILED',
  );
});

test('cookie logout needs the CSRF header, revokes the session and clears both cookies', async (t) => {
  const app = await build(t);
  const p = await createPatient(app);
  const { refresh, csrf } = await cookieLogin(app, p.username);
  expectProblem(
    await app.request('POST', '/api/v1/auth/logout', { body: { session: 'cookie' }, headers: { cookie: cookieHeader(refresh, csrf) } }),
    403,
    'FORBIDDEN',
  );
  const out = await app.request('POST', '/api/v1/auth/logout', {
    body: { session: 'cookie' },
    headers: { cookie: cookieHeader(refresh, csrf), 'x-csrf-token': csrf },
  });
  assert.equal(out.status, 204);
  const cleared = cookies(out);
  assert.match(cleared.get('tc_refresh')!, /Expires=Thu, 01 Jan 1970|Max-Age=0/);
  assert.match(cleared.get('tc_csrf')!, /Expires=Thu, 01 Jan 1970|Max-Age=0/);
  expectProblem(
    await app.request('POST', '/api/v1/auth/refresh', {
      body: { session: 'cookie' },
      headers: { cookie: cookieHeader(refresh, csrf), 'x-csrf-token': csrf },
    }),
    401,
    'INVALID_TOKEN',
  );
  // Without a cookie there is nothing to revoke: still 204 (logout is idempotent).
  assert.equal((await app.request('POST', '/api/v1/auth/logout', { body: { session: 'cookie' } })).status, 204);
});

test('JSON mode is unchanged: tokens in the body, no cookies set', async (t) => {
  const app = await build(t);
  const p = await createPatient(app);
  const res = await app.request('POST', '/api/v1/auth/login', { body: { login: p.username, password: PASSWORD } });
  assert.equal(res.status, 200);
  assert.ok(res.body.refreshToken);
  assert.equal(res.headers.getSetCookie().length, 0);
  const r = await app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: res.body.refreshToken } });
  assert.equal(r.status, 200);
  assert.ok(r.body.refreshToken);
  assert.equal(r.headers.getSetCookie().length, 0);
});
