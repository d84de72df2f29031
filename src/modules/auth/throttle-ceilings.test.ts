// The two higher ceilings of the login throttle (contract, Auth): per account over all addresses, per address over all accounts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, createPatient, expectProblem, PASSWORD } from '../../../test/helpers.ts';

const login = (app: Awaited<ReturnType<typeof build>>, loginName: string, password: string, ip?: string) =>
  app.request('POST', '/api/v1/auth/login', { body: { login: loginName, password }, headers: ip ? { 'x-forwarded-for': ip } : {} });

test('at 50 failures in the window from many addresses the account answers 429 to everyone, its owner too', async (t) => {
  const app = await build(t, { trustProxy: true });
  const p = await createPatient(app);
  // Ten addresses, five failures each: none of them trips its own (account, address) limit early.
  for (let a = 0; a < 10; a++) {
    for (let i = 0; i < 5; i++) expectProblem(await login(app, p.username, 'wrong password', `10.9.${a}.1`), 401, 'INVALID_CREDENTIALS');
  }
  const owner = await login(app, p.username, PASSWORD, '192.0.2.7');
  expectProblem(owner, 429, 'RATE_LIMITED');
  assert.ok(Number(owner.headers.get('retry-after')) > 0);
  // Other accounts are untouched.
  const q = await createPatient(app);
  assert.equal((await login(app, q.username, PASSWORD, '192.0.2.7')).status, 200);
});

test('one address gets at most 100 failures per window over all accounts', async (t) => {
  const app = await build(t, { trustProxy: true });
  const p = await createPatient(app);
  // Twenty names probed five times each (each pair stays within its own limit of 5).
  for (let n = 0; n < 20; n++) {
    for (let i = 0; i < 5; i++) expectProblem(await login(app, `ghost${n}`, 'wrong password', '10.7.7.7'), 401, 'INVALID_CREDENTIALS');
  }
  expectProblem(await login(app, p.username, PASSWORD, '10.7.7.7'), 429, 'RATE_LIMITED');
  assert.equal((await login(app, p.username, PASSWORD, '10.8.8.8')).status, 200);
});
