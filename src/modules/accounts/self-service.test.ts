// Self-service (issue 25, point 7): a change of address re-verified by a link to the new address, and the closing of
// an account with the retention of a medical record. Through the API, on the real database, mail through the real
// SMTP mailbox.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import {
  build,
  createAdminUser,
  createPatient,
  expectProblem,
  mailbox,
  patientBody,
  PASSWORD,
  tokenFromMail,
  type Person,
  type TestApp,
} from '../../../test/helpers.ts';
import { API, book, pinNow, workingDoctor } from '../../../test/fixtures/booking.ts';
import { mailsTo, outboxDrained } from '../../../test/fixtures/notifications.ts';
import { loadConfig } from '../../platform/config.ts';

let app: TestApp;
before(async () => {
  app = await build();
  pinNow(app, '2027-01-04T07:00:00.000Z');
});
after(async () => {
  await app.close();
});

const newAddress = (tag: string) => `${tag}.${Math.random().toString(36).slice(2, 10)}@new.example.test`;
const changeEmail = (who: Person, newEmail: string, password = PASSWORD) =>
  app.request('POST', `${API}/me/email`, { token: who.token, body: { newEmail, password } });
const confirm = (token: string) => app.request('POST', `${API}/me/email/confirm`, { body: { token } });
const login = (loginName: string, password = PASSWORD) =>
  app.request('POST', `${API}/auth/login`, { body: { login: loginName, password } });
const confirmationToken = async (to: string) =>
  tokenFromMail(await mailbox.waitFor(to, /^Confirm your new email address/), 'confirm-email');

test('a change of address: the new address gets a single-use link, the old one is told (masked), the address changes only when the link is used', async () => {
  const p = await createPatient(app);
  const other = await login(p.username);
  assert.equal(other.status, 200);
  const to = newAddress('neu');
  const res = await changeEmail(p, to.toUpperCase());
  assert.equal(res.status, 202, res.text);

  const notice = await mailbox.waitFor(p.email, /^Your email address is about to change/);
  assert.doesNotMatch(notice.text.toLowerCase(), new RegExp(to.split('@')[0]));
  assert.doesNotMatch(notice.text.toLowerCase(), /new\.example\.test/);
  assert.match(notice.text, /n•••@n•••\.test/i);
  const link = await mailbox.waitFor(to, /^Confirm your new email address/);
  assert.match(link.text, /http:\/\/telecare\.test\/confirm-email\?token=/);
  // Nothing has changed yet.
  assert.equal((await app.request('GET', `${API}/me`, { token: p.token })).body.user.email, p.email);

  const done = await confirm(tokenFromMail(link, 'confirm-email'));
  assert.equal(done.status, 200, done.text);
  assert.equal(done.body.user.email, to.toUpperCase());
  assert.equal(done.body.user.isEmailVerified, true);
  // The session that asked stays; every other session ended.
  assert.equal((await app.request('GET', `${API}/me`, { token: p.token })).body.user.email, to.toUpperCase());
  expectProblem(await app.request('GET', `${API}/me`, { token: other.body.accessToken }), 401, 'UNAUTHENTICATED');
  // Sign-in follows the address.
  assert.equal((await login(to)).status, 200);
  expectProblem(await login(p.email), 401, 'INVALID_CREDENTIALS');
  // Single use.
  expectProblem(await confirm(tokenFromMail(link, 'confirm-email')), 401, 'INVALID_TOKEN');
  const events = await app.database.rows<{ action: string; patient_id: string }>(
    sql`SELECT action, patient_id FROM audit_events WHERE resource_id = ${p.id} AND action LIKE 'account.email_change%' ORDER BY seq`,
  );
  assert.deepEqual(
    events.map((e) => [e.action, e.patient_id]),
    [
      ['account.email_change_request', p.id],
      ['account.email_change', p.id],
    ],
  );
});

test('POST /me/email: anonymous 401, wrong password 401 (nothing sent), taken 409 EMAIL_TAKEN, the current address or a bad body 400, a second request within a minute 429', async () => {
  const p = await createPatient(app);
  const q = await createPatient(app);
  expectProblem(
    await app.request('POST', `${API}/me/email`, { body: { newEmail: newAddress('x'), password: PASSWORD } }),
    401,
    'UNAUTHENTICATED',
  );
  const wrong = newAddress('wrong');
  expectProblem(await changeEmail(p, wrong, 'not the password'), 401, 'INVALID_CREDENTIALS');
  expectProblem(await changeEmail(p, q.email.toUpperCase()), 409, 'EMAIL_TAKEN');
  expectProblem(await changeEmail(p, p.email.toUpperCase()), 400, 'VALIDATION_FAILED');
  for (const body of [
    { newEmail: 'not an address', password: PASSWORD },
    { newEmail: newAddress('y') },
    { newEmail: newAddress('z'), password: PASSWORD, role: 'ADMIN' },
  ]) {
    expectProblem(await app.request('POST', `${API}/me/email`, { token: p.token, body }), 400, 'VALIDATION_FAILED');
  }
  const first = newAddress('first');
  assert.equal((await changeEmail(p, first)).status, 202);
  const again = await changeEmail(p, newAddress('second'));
  expectProblem(again, 429, 'RATE_LIMITED');
  assert.equal(again.headers.get('retry-after'), '60');
  await outboxDrained(app);
  assert.equal(mailsTo(wrong, /./).length, 0);
  const [row] = await app.database.rows<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM email_tokens WHERE user_id = ${p.id} AND purpose = 'CHANGE_EMAIL'`,
  );
  assert.equal(row.n, 1);
});

test('confirmation: an unknown, expired or used token is 401 INVALID_TOKEN; an address taken since the request is 409 EMAIL_TAKEN (the unique index decides)', async () => {
  expectProblem(await confirm('A'.repeat(43)), 401, 'INVALID_TOKEN');
  expectProblem(await app.request('POST', `${API}/me/email/confirm`, { body: {} }), 400, 'VALIDATION_FAILED');

  const p = await createPatient(app);
  const late = newAddress('late');
  assert.equal((await changeEmail(p, late)).status, 202);
  const token = await confirmationToken(late);
  await app.database.rows(
    sql`UPDATE email_tokens SET expires_at = now() - interval '1 second' WHERE user_id = ${p.id} AND purpose = 'CHANGE_EMAIL'`,
  );
  expectProblem(await confirm(token), 401, 'INVALID_TOKEN');

  // Two accounts ask for the same free address; the first to confirm gets it, the other is refused at confirmation.
  const a = await createPatient(app);
  const b = await createPatient(app);
  const wanted = newAddress('wanted');
  assert.equal((await changeEmail(a, wanted)).status, 202);
  const tokenA = await confirmationToken(wanted);
  assert.equal((await changeEmail(b, wanted.toUpperCase())).status, 202);
  await outboxDrained(app);
  const tokenB = tokenFromMail(mailsTo(wanted, /^Confirm your new email address/).at(-1)!, 'confirm-email');
  assert.notEqual(tokenA, tokenB);
  const [won, lost] = await Promise.all([confirm(tokenA), confirm(tokenB)].map(async (r, i) => ({ i, res: await r }))).then((rs) =>
    rs[0].res.status === 200 ? [rs[0], rs[1]] : [rs[1], rs[0]],
  );
  assert.equal(won.res.status, 200, won.res.text);
  expectProblem(lost.res, 409, 'EMAIL_TAKEN');
  const loser = won.i === 0 ? b : a;
  assert.equal((await app.request('GET', `${API}/me`, { token: loser.token })).body.user.email, loser.email);
  // A registration taking the address between request and confirmation wins as well.
  const c = await createPatient(app);
  const contested = newAddress('contested');
  assert.equal((await changeEmail(c, contested)).status, 202);
  const tokenC = await confirmationToken(contested);
  assert.equal((await app.request('POST', `${API}/auth/register/patient`, { body: patientBody({ email: contested }) })).status, 201);
  expectProblem(await confirm(tokenC), 409, 'EMAIL_TAKEN');
});

test('closing a patient account: open appointments cancelled and both parties mailed, every token refused at once, sign-in refused, the feed gone, the record kept with retain_until', async () => {
  const d = await workingDoctor(app);
  const p = await createPatient(app);
  const first = await book(app, p, d.id, '2027-01-05T09:00:00.000Z');
  const second = await book(app, p, d.id, '2027-01-06T10:00:00.000Z');
  assert.equal(first.status, 201, first.text);
  assert.equal(second.status, 201, second.text);
  const feed = await app.request('GET', `${API}/me/calendar`, { token: p.token });
  assert.equal((await app.request('GET', new URL(feed.body.url).pathname)).status, 200);
  const otherSession = (await login(p.username)).body;

  const terms = await app.request('GET', `${API}/me/closure`, { token: p.token });
  assert.equal(terms.status, 200, terms.text);
  assert.equal(terms.body.allowed, true);
  assert.equal(terms.body.openAppointments, 2);
  assert.equal(terms.body.retentionYears, 10);
  assert.equal(terms.body.retainUntil, '2037-01-04T07:00:00.000Z');

  expectProblem(
    await app.request('POST', `${API}/me/close`, { token: p.token, body: { password: 'wrong password!' } }),
    401,
    'INVALID_CREDENTIALS',
  );
  expectProblem(await app.request('POST', `${API}/me/close`, { token: p.token, body: {} }), 400, 'VALIDATION_FAILED');
  expectProblem(await app.request('POST', `${API}/me/close`, { body: { password: PASSWORD } }), 401, 'UNAUTHENTICATED');
  assert.equal((await app.request('GET', `${API}/me`, { token: p.token })).body.user.accountStatus, 'ACTIVE');

  const closed = await app.request('POST', `${API}/me/close`, { token: p.token, body: { password: PASSWORD } });
  assert.equal(closed.status, 200, closed.text);
  assert.equal(closed.body.user.accountStatus, 'CLOSED');
  const closedAt = new Date(closed.body.user.closedAt);
  const retainUntil = new Date(closed.body.user.retainUntil);
  assert.equal(retainUntil.getUTCFullYear() - closedAt.getUTCFullYear(), 10);

  // Every token of the account is refused at once: this session's, another session's, the refresh token.
  expectProblem(await app.request('GET', `${API}/me`, { token: p.token }), 401, 'UNAUTHENTICATED');
  expectProblem(await app.request('GET', `${API}/me/export`, { token: otherSession.accessToken }), 401, 'UNAUTHENTICATED');
  expectProblem(await app.request('POST', `${API}/auth/refresh`, { body: { refreshToken: p.refreshToken } }), 401, 'INVALID_TOKEN');
  expectProblem(await login(p.username), 401, 'INVALID_CREDENTIALS');
  expectProblem(await login(p.email), 401, 'INVALID_CREDENTIALS');
  assert.equal((await app.request('GET', new URL(feed.body.url).pathname)).status, 404);

  // The open appointments are cancelled; both parties are mailed a CANCEL for each.
  for (const a of [first.body, second.body]) {
    const seen = await app.request('GET', `${API}/appointments/${a.id}`, { token: d.token });
    assert.equal(seen.body.status, 'CANCELLED');
    assert.equal(seen.body.cancelledBy, p.id);
  }
  await outboxDrained(app);
  assert.equal(mailsTo(p.email, /^Appointment cancelled/).length, 2);
  assert.equal(mailsTo(d.email, /^Appointment cancelled/).length, 2);

  // Nothing is deleted; the closing is audited; an admin sees the account as closed and cannot reopen it.
  const [row] = await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM appointments WHERE patient_id = ${p.id}`);
  assert.equal(row.n, 2);
  const audited = await app.database.rows<{ outcome: string }>(
    sql`SELECT outcome FROM audit_events WHERE action = 'account.close' AND actor_id = ${p.id} AND patient_id = ${p.id} ORDER BY seq`,
  );
  assert.deepEqual(
    audited.map((e) => e.outcome),
    ['FAILURE', 'SUCCESS'],
  );
  const admin = await createAdminUser(app);
  const listed = await app.request('GET', `${API}/admin/users?accountStatus=CLOSED&q=${p.username}`, { token: admin.token });
  assert.equal(listed.status, 200, listed.text);
  assert.deepEqual(
    listed.body.items.map((u: { id: string; accountStatus: string }) => [u.id, u.accountStatus]),
    [[p.id, 'CLOSED']],
  );
  expectProblem(
    await app.request('PATCH', `${API}/admin/users/${p.id}`, { token: admin.token, body: { accountStatus: 'ACTIVE' } }),
    409,
    'INVALID_TRANSITION',
  );
  expectProblem(
    await app.request('PATCH', `${API}/admin/users/${p.id}`, { token: admin.token, body: { accountStatus: 'CLOSED' } }),
    400,
    'VALIDATION_FAILED',
  );
});

test('a doctor closes only without open appointments (409 INVALID_TRANSITION until then); an admin may not close their own account (403)', async () => {
  const d = await workingDoctor(app);
  const p = await createPatient(app);
  assert.equal((await book(app, p, d.id, '2027-01-07T09:00:00.000Z')).status, 201);
  const terms = await app.request('GET', `${API}/me/closure`, { token: d.token });
  assert.deepEqual(
    { allowed: terms.body.allowed, refusal: terms.body.refusal, open: terms.body.openAppointments },
    {
      allowed: false,
      refusal: 'OPEN_APPOINTMENTS',
      open: 1,
    },
  );
  expectProblem(await app.request('POST', `${API}/me/close`, { token: d.token, body: { password: PASSWORD } }), 409, 'INVALID_TRANSITION');
  assert.equal((await app.request('GET', `${API}/me`, { token: d.token })).body.user.accountStatus, 'ACTIVE');

  const free = await workingDoctor(app);
  const closed = await app.request('POST', `${API}/me/close`, { token: free.token, body: { password: PASSWORD } });
  assert.equal(closed.status, 200, closed.text);
  assert.equal((await app.request('GET', `${API}/doctors/${free.id}`)).status, 404);

  const admin = await createAdminUser(app);
  const adminTerms = await app.request('GET', `${API}/me/closure`, { token: admin.token });
  assert.equal(adminTerms.body.refusal, 'ADMIN');
  expectProblem(await app.request('POST', `${API}/me/close`, { token: admin.token, body: { password: PASSWORD } }), 403, 'FORBIDDEN');
  expectProblem(await app.request('GET', `${API}/me/closure`), 401, 'UNAUTHENTICATED');
});

test('RECORD_RETENTION_YEARS sets the retention (default 10, 1–100)', async () => {
  assert.equal(loadConfig({}).recordRetentionYears, 10);
  assert.equal(loadConfig({ RECORD_RETENTION_YEARS: '30' }).recordRetentionYears, 30);
  assert.throws(() => loadConfig({ RECORD_RETENTION_YEARS: '0' }));
  const other = await build(undefined, { recordRetentionYears: 30 });
  try {
    const p = await createPatient(other);
    const closed = await other.request('POST', `${API}/me/close`, { token: p.token, body: { password: PASSWORD } });
    assert.equal(closed.status, 200, closed.text);
    assert.equal(new Date(closed.body.user.retainUntil).getUTCFullYear() - new Date(closed.body.user.closedAt).getUTCFullYear(), 30);
  } finally {
    await other.close();
  }
});
