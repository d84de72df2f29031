import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { build, createPatient, expectProblem, PASSWORD } from '../../../test/helpers.ts';

const login = (app: Awaited<ReturnType<typeof build>>, loginName: string, password: string, ip?: string) =>
  app.request('POST', '/api/v1/auth/login', { body: { login: loginName, password }, headers: ip ? { 'x-forwarded-for': ip } : {} });

test('after 5 failures on one account from one address, that address gets 429 with Retry-After, even with the right password', async (t) => {
  const app = await build(t, { trustProxy: true });
  const p = await createPatient(app);
  for (let i = 0; i < 5; i++)
    expectProblem(await login(app, i % 2 ? p.email : p.username, 'wrong password', '10.0.0.66'), 401, 'INVALID_CREDENTIALS');
  const blocked = await login(app, p.username, PASSWORD, '10.0.0.66');
  expectProblem(blocked, 429, 'RATE_LIMITED');
  const retry = Number(blocked.headers.get('retry-after'));
  assert.ok(retry > 850 && retry <= 900, `Retry-After ${retry}`);
  // The stranger cannot lock the owner out: the right password from another address still works.
  assert.equal((await login(app, p.username, PASSWORD, '10.0.0.1')).status, 200);
  // Another account from the stranger's address is not affected.
  const q = await createPatient(app);
  assert.equal((await login(app, q.username, PASSWORD, '10.0.0.66')).status, 200);
});

test('the account unlocks by itself once the window passes', async (t) => {
  const app = await build(t, { loginWindowSeconds: 600 });
  const p = await createPatient(app);
  for (let i = 0; i < 5; i++) await login(app, p.username, 'wrong password');
  expectProblem(await login(app, p.username, PASSWORD), 429, 'RATE_LIMITED');
  // The window is the database's clock (now() - window): age the failures past it rather than sleep
  // through a short window, which five argon2 logins on a loaded machine could outlast on their own.
  // Well inside the window, still locked; just past it, open (both with minutes of margin either side).
  await app.database.rows(sql`UPDATE login_failures SET at = now() - interval '500 seconds'`);
  expectProblem(await login(app, p.username, PASSWORD), 429, 'RATE_LIMITED');
  await app.database.rows(sql`UPDATE login_failures SET at = now() - interval '601 seconds'`);
  assert.equal((await login(app, p.username, PASSWORD)).status, 200);
});

test('a success before the limit resets the account counter', async (t) => {
  const app = await build(t);
  const p = await createPatient(app);
  for (let i = 0; i < 4; i++) await login(app, p.username, 'wrong password');
  assert.equal((await login(app, p.username, PASSWORD)).status, 200);
  for (let i = 0; i < 4; i++) await login(app, p.username, 'wrong password');
  assert.equal((await login(app, p.username, PASSWORD)).status, 200);
});

test('unknown logins are throttled the same way, so probing does not reveal which accounts exist', async (t) => {
  const app = await build(t);
  for (let i = 0; i < 5; i++) expectProblem(await login(app, 'ghost', 'wrong password'), 401, 'INVALID_CREDENTIALS');
  expectProblem(await login(app, 'ghost', 'wrong password'), 429, 'RATE_LIMITED');
});

test('the per-address limit is separate and higher: many people behind one address are not locked out by one', async (t) => {
  const app = await build(t, { loginMaxFailuresPerAddress: 8, trustProxy: true });
  const people = await Promise.all([1, 2, 3].map(() => createPatient(app)));
  // Three people mistype (4 + 4 failures from one clinic address): still under both limits.
  for (let i = 0; i < 4; i++) await login(app, people[0].username, 'typo typo typo', '10.1.1.1');
  for (let i = 0; i < 3; i++) await login(app, people[1].username, 'typo typo typo', '10.1.1.1');
  assert.equal((await login(app, people[2].username, PASSWORD, '10.1.1.1')).status, 200);
  // The 8th failure from that address trips the address limit for everybody behind it…
  await login(app, people[1].username, 'typo typo typo', '10.1.1.1');
  expectProblem(await login(app, people[2].username, PASSWORD, '10.1.1.1'), 429, 'RATE_LIMITED');
  // …but not for another address.
  assert.equal((await login(app, people[2].username, PASSWORD, '10.2.2.2')).status, 200);
});
