// Server engine only (npm test runs *.server.test.ts with TEST_DATABASE_URL): the embedded engine
// is one process by design. Two instances of the API on one PostgreSQL database, as behind a load balancer: what must hold across
// them lives in the database (login throttle counters, idempotency keys, the mail outbox).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { build, createPatient, expectProblem, mailbox, patientBody, sleep } from './helpers.ts';
import { book, slots, workingDoctor } from './fixtures/booking.ts';

async function pair(t: Parameters<typeof build>[0]) {
  // Failed deliveries retry after at most 1 s here (production backs off up to an hour).
  const a = await build(t, { outboxMaxBackoffSeconds: 1 });
  const b = await build(t, { outboxMaxBackoffSeconds: 1 }, { databaseUrl: a.databaseUrl! });
  return { a, b };
}

test('login throttling counts failures on instance A when the next attempt reaches instance B', async (t) => {
  const { a, b } = await pair(t);
  const patient = await createPatient(a);
  // From one address the account locks after LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS failures (the tightest of
  // the three limits since issue 11), wherever each attempt landed.
  for (let i = 0; i < a.config.loginMaxFailuresPerAccountAddress; i++) {
    const res = await (i % 2 ? b : a).request('POST', '/api/v1/auth/login', {
      body: { login: patient.username, password: 'wrong password!' },
    });
    expectProblem(res, 401, 'INVALID_CREDENTIALS');
  }
  // The right password, on the other instance, is still refused until the window passes.
  const res = await b.request('POST', '/api/v1/auth/login', { body: { login: patient.username, password: patient.password } });
  expectProblem(res, 429, 'RATE_LIMITED');
  assert.ok(Number(res.headers.get('retry-after')) > 0);
  expectProblem(
    await a.request('POST', '/api/v1/auth/login', { body: { login: patient.username, password: patient.password } }),
    429,
    'RATE_LIMITED',
  );
});

test("an Idempotency-Key used on instance A replays A's response on instance B, with one appointment", async (t) => {
  const { a, b } = await pair(t);
  const doctor = await workingDoctor(a, {
    timezone: 'UTC',
    weekly: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '00:00', end: '23:30' })),
  });
  const patient = await createPatient(a);
  const from = new Date(Date.now() + 2 * 86_400_000).toISOString();
  const to = new Date(Date.now() + 3 * 86_400_000).toISOString();
  const [startsAt] = await slots(a, doctor.id, from, to);
  const headers = { 'idempotency-key': 'multi-instance-key-1' };
  const first = await book(a, patient, doctor.id, startsAt, { reason: 'check-up' }, headers);
  assert.equal(first.status, 201, first.text);
  const replay = await book(b, patient, doctor.id, startsAt, { reason: 'check-up' }, headers);
  assert.equal(replay.status, 201, replay.text);
  assert.equal(replay.body.id, first.body.id);
  // Same key, different body, on B: refused as a reused key.
  expectProblem(await book(b, patient, doctor.id, startsAt, { reason: 'something else' }, headers), 422, 'IDEMPOTENCY_KEY_REUSED');
  const [row] = await b.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM appointments WHERE patient_id = ${patient.id}`);
  assert.equal(row.n, 1);
});

test("with both instances' outbox workers running, every queued mail is sent exactly once", async (t) => {
  const { a, b } = await pair(t);
  // Hold delivery so that a backlog builds up, then let both workers race for it.
  mailbox.accepting = false;
  t.after(() => {
    mailbox.accepting = true;
  });
  const bodies = Array.from({ length: 24 }, () => patientBody());
  const res = await Promise.all(bodies.map((body, i) => (i % 2 ? b : a).request('POST', '/api/v1/auth/register/patient', { body })));
  assert.ok(res.every((r) => r.status === 201));
  await sleep(300);
  mailbox.accepting = true;
  // Both workers retry: drive them from both sides at once as well as on their own timers.
  await Promise.all([a.app.platform.mail.drain(), b.app.platform.mail.drain(), sleep(1500)]);
  const emails = bodies.map((x) => x.email.toLowerCase());
  for (const e of emails) await mailbox.waitFor(e, /verif/i, 20_000);
  await sleep(1500);
  const ours = mailbox.mails.filter((m) => emails.includes(m.to));
  assert.equal(ours.length, emails.length, 'one mail per registration, none twice');
  assert.equal(new Set(ours.map((m) => m.messageId)).size, emails.length);
});
