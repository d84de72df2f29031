import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import {
  appointmentFixture,
  build,
  createAdminUser,
  createDoctor,
  createPatient,
  expectProblem,
  type Person,
  type TestApp,
} from '../../../test/helpers.ts';
import { care as pair } from '../../../test/fixtures/care.ts';
import { pages } from '../../../test/fixtures/pages.ts';

const conv = (id: string) => `/api/v1/conversations/${id}`;

// One app for the file (every test makes its own people), so the suite stays fast on a loaded machine.
let app: TestApp;
before(async () => {
  app = await build();
});
after(() => app.close());

async function send(app: TestApp, from: Person, to: Person, body: string) {
  const res = await app.request('POST', `${conv(to.id)}/messages`, { token: from.token, body: { body } });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

test('a patient and a doctor in a care relationship exchange messages; history is newest first', async () => {
  const { doctor, patient } = await pair(app);
  const m1 = await send(app, patient, doctor, 'Hello doctor, my chest hurts.');
  assert.deepEqual(Object.keys(m1).sort(), ['attachments', 'body', 'createdAt', 'id', 'readAt', 'recipientId', 'senderId']);
  assert.equal(m1.senderId, patient.id);
  assert.equal(m1.recipientId, doctor.id);
  assert.equal(m1.readAt, null);
  assert.match(m1.createdAt, /Z$/);
  const m2 = await send(app, doctor, patient, 'Please come in tomorrow — 🫀 ECG.');

  for (const [me, other] of [
    [doctor, patient],
    [patient, doctor],
  ] as const) {
    const res = await app.request('GET', `${conv(other.id)}/messages`, { token: me.token });
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.items.map((m: any) => m.id),
      [m2.id, m1.id],
    );
    assert.equal(res.body.items[0].body, 'Please come in tomorrow — 🫀 ECG.');
    assert.equal(res.body.nextCursor, null);
  }
});

test('conversation lists show the other participant, the last message and my unread count, most recent first', async () => {
  const { doctor, patient } = await pair(app);
  const patient2 = await createPatient(app, { body: { firstname: 'Second', lastname: 'Person' } });
  await appointmentFixture(app, { doctorId: doctor.id, patientId: patient2.id, status: 'PENDING' });

  await send(app, patient, doctor, 'one');
  await send(app, patient, doctor, 'two');
  const last2 = await send(app, patient2, doctor, 'from the second patient');

  const res = await app.request('GET', '/api/v1/conversations', { token: doctor.token });
  assert.equal(res.status, 200);
  assert.equal(res.body.nextCursor, null);
  assert.deepEqual(
    res.body.items.map((c: any) => [c.participant.id, c.unreadCount]),
    [
      [patient2.id, 1],
      [patient.id, 2],
    ],
  );
  assert.deepEqual(res.body.items[0].participant, { id: patient2.id, firstname: 'Second', lastname: 'Person', role: 'PATIENT' });
  assert.equal(res.body.items[0].lastMessage.id, last2.id);
  assert.equal(res.body.items[1].lastMessage.body, 'two');

  // The doctor answers the first patient: that thread moves to the top; the patient has one unread.
  await send(app, doctor, patient, 'answer');
  const again = await app.request('GET', '/api/v1/conversations?limit=1', { token: doctor.token });
  assert.equal(again.body.items[0].participant.id, patient.id);
  assert.equal(again.body.items[0].unreadCount, 2, 'my own message does not count as unread for me');
  const page2 = await app.request('GET', `/api/v1/conversations?limit=1&cursor=${again.body.nextCursor}`, { token: doctor.token });
  assert.deepEqual(
    page2.body.items.map((c: any) => c.participant.id),
    [patient2.id],
  );
  assert.equal(page2.body.nextCursor, null);

  const mine = await app.request('GET', '/api/v1/conversations', { token: patient.token });
  assert.deepEqual(
    mine.body.items.map((c: any) => [c.participant.role, c.unreadCount, c.lastMessage.body]),
    [['DOCTOR', 1, 'answer']],
  );
  const other = await app.request('GET', '/api/v1/conversations', { token: (await createPatient(app)).token });
  assert.deepEqual(other.body, { items: [], nextCursor: null });
});

test("marking read up to a message sets readAt on the other party's messages up to it and clears the unread count", async () => {
  const { doctor, patient } = await pair(app);
  const a = await send(app, patient, doctor, 'a');
  const b = await send(app, patient, doctor, 'b');
  const mine = await send(app, doctor, patient, 'mine');
  const c = await send(app, patient, doctor, 'c');

  const res = await app.request('POST', `${conv(patient.id)}/read`, { token: doctor.token, body: { upTo: b.id } });
  assert.equal(res.status, 204);
  const hist = await app.request('GET', `${conv(patient.id)}/messages`, { token: doctor.token });
  const byId = new Map(hist.body.items.map((m: any) => [m.id, m]));
  assert.ok((byId.get(a.id) as any).readAt);
  assert.ok((byId.get(b.id) as any).readAt);
  assert.equal((byId.get(c.id) as any).readAt, null);
  assert.equal((byId.get(mine.id) as any).readAt, null, "the reader's own messages are untouched");
  let list = await app.request('GET', '/api/v1/conversations', { token: doctor.token });
  assert.equal(list.body.items[0].unreadCount, 1);

  // upTo may be my own newest message; repeating is harmless.
  for (let i = 0; i < 2; i++) {
    assert.equal((await app.request('POST', `${conv(patient.id)}/read`, { token: doctor.token, body: { upTo: c.id } })).status, 204);
  }
  list = await app.request('GET', '/api/v1/conversations', { token: doctor.token });
  assert.equal(list.body.items[0].unreadCount, 0);

  // A message of another conversation is not "in" this one.
  const other = await pair(app);
  const foreign = await send(app, other.patient, other.doctor, 'elsewhere');
  expectProblem(
    await app.request('POST', `${conv(patient.id)}/read`, { token: doctor.token, body: { upTo: foreign.id } }),
    404,
    'NOT_FOUND',
  );
});

test('history pages neither shift, repeat nor skip messages while new ones arrive between pages', async () => {
  const { doctor, patient } = await pair(app);
  const sent: string[] = [];
  for (let i = 0; i < 25; i++) sent.push((await send(app, i % 2 ? doctor : patient, i % 2 ? patient : doctor, `m${i}`)).id);

  const seen: string[] = [];
  let pageCount = 0;
  for await (const res of pages(app, `${conv(doctor.id)}/messages?limit=10`, patient.token)) {
    seen.push(...res.body.items.map((m: any) => m.id));
    pageCount++;
    // Concurrent traffic between pages must not shift, repeat or hide older messages.
    await Promise.all([send(app, doctor, patient, `late ${pageCount}a`), send(app, patient, doctor, `late ${pageCount}b`)]);
  }
  assert.equal(pageCount, 3);
  assert.deepEqual(seen, [...sent].reverse());
});

test('without a care relationship: a patient gets 403 NO_CARE_RELATIONSHIP for a verified doctor, a doctor 404 for a patient', async () => {
  const doctor = await createDoctor(app);
  const patient = await createPatient(app);
  expectProblem(
    await app.request('POST', `${conv(doctor.id)}/messages`, { token: patient.token, body: { body: 'hi' } }),
    403,
    'NO_CARE_RELATIONSHIP',
  );
  expectProblem(await app.request('POST', `${conv(patient.id)}/messages`, { token: doctor.token, body: { body: 'hi' } }), 404, 'NOT_FOUND');
  expectProblem(await app.request('GET', `${conv(patient.id)}/messages`, { token: doctor.token }), 404, 'NOT_FOUND');
  const empty = await app.request('GET', `${conv(doctor.id)}/messages`, { token: patient.token });
  assert.deepEqual(empty.body, { items: [], nextCursor: null });

  // A cancelled appointment is no relationship; an unverified doctor is not in the public directory.
  await appointmentFixture(app, { doctorId: doctor.id, patientId: patient.id, status: 'CANCELLED' });
  expectProblem(
    await app.request('POST', `${conv(doctor.id)}/messages`, { token: patient.token, body: { body: 'hi' } }),
    403,
    'NO_CARE_RELATIONSHIP',
  );
  const pending = await createDoctor(app, { credentials: 'PENDING' });
  expectProblem(
    await app.request('POST', `${conv(pending.id)}/messages`, { token: patient.token, body: { body: 'hi' } }),
    404,
    'NOT_FOUND',
  );
  const count = await app.database.rows<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM messages WHERE sender_id IN (${doctor.id}, ${patient.id})`,
  );
  assert.equal(count[0].n, 0);
});

test('after the relationship ends both keep the thread but can no longer send (403 NO_CARE_RELATIONSHIP)', async () => {
  const { doctor, patient } = await pair(app);
  await send(app, patient, doctor, 'before');
  await app.database.rows(sql`UPDATE appointments SET status = 'CANCELLED' WHERE doctor_id = ${doctor.id}`);
  for (const [me, other] of [
    [doctor, patient],
    [patient, doctor],
  ] as const) {
    expectProblem(
      await app.request('POST', `${conv(other.id)}/messages`, { token: me.token, body: { body: 'after' } }),
      403,
      'NO_CARE_RELATIONSHIP',
    );
    const hist = await app.request('GET', `${conv(other.id)}/messages`, { token: me.token });
    assert.deepEqual(
      hist.body.items.map((m: any) => m.body),
      ['before'],
    );
  }
});

test('strangers, oneself, admins and unknown ids are 404; another doctor of the same patient sees only their own thread', async () => {
  const { doctor, patient } = await pair(app);
  await send(app, patient, doctor, 'private');
  const doctor2 = await createDoctor(app);
  await appointmentFixture(app, { doctorId: doctor2.id, patientId: patient.id, status: 'CONFIRMED' });
  const hist = await app.request('GET', `${conv(patient.id)}/messages`, { token: doctor2.token });
  assert.deepEqual(hist.body, { items: [], nextCursor: null });
  const admin = await createAdminUser(app);
  const otherPatient = await createPatient(app);
  // Oneself, an unknown id, an admin, a user of the same role.
  for (const target of [patient.id, '00000000-0000-4000-8000-000000000000', admin.id, otherPatient.id]) {
    expectProblem(await app.request('GET', `${conv(target)}/messages`, { token: patient.token }), 404, 'NOT_FOUND');
    expectProblem(await app.request('POST', `${conv(target)}/messages`, { token: patient.token, body: { body: 'x' } }), 404, 'NOT_FOUND');
    expectProblem(
      await app.request('POST', `${conv(target)}/read`, { token: patient.token, body: { upTo: '00000000-0000-4000-8000-000000000000' } }),
      404,
      'NOT_FOUND',
    );
  }
  const other = await createDoctor(app);
  expectProblem(await app.request('GET', `${conv(doctor.id)}/messages`, { token: other.token }), 404, 'NOT_FOUND');
});

test('admins never see conversations or bodies (403), anonymous callers get 401, unverified emails cannot send', async () => {
  const { doctor, patient } = await pair(app);
  const m = await send(app, patient, doctor, 'secret');
  const admin = await createAdminUser(app);
  expectProblem(await app.request('GET', '/api/v1/conversations', { token: admin.token }), 403, 'FORBIDDEN');
  expectProblem(await app.request('GET', `${conv(patient.id)}/messages`, { token: admin.token }), 403, 'FORBIDDEN');
  expectProblem(await app.request('POST', `${conv(patient.id)}/messages`, { token: admin.token, body: { body: 'x' } }), 403, 'FORBIDDEN');
  expectProblem(await app.request('POST', `${conv(patient.id)}/read`, { token: admin.token, body: { upTo: m.id } }), 403, 'FORBIDDEN');
  expectProblem(await app.request('GET', '/api/v1/conversations'), 401, 'UNAUTHENTICATED');
  expectProblem(await app.request('GET', `${conv(doctor.id)}/messages`), 401, 'UNAUTHENTICATED');
  expectProblem(await app.request('POST', `${conv(doctor.id)}/messages`, { body: { body: 'x' } }), 401, 'UNAUTHENTICATED');
  expectProblem(await app.request('POST', `${conv(doctor.id)}/read`, { body: { upTo: m.id } }), 401, 'UNAUTHENTICATED');

  const unverified = await createPatient(app, { verified: false });
  await appointmentFixture(app, { doctorId: doctor.id, patientId: unverified.id, status: 'CONFIRMED' });
  expectProblem(
    await app.request('POST', `${conv(doctor.id)}/messages`, { token: unverified.token, body: { body: 'x' } }),
    403,
    'EMAIL_NOT_VERIFIED',
  );
});

test('garbage bodies, params, cursors and limits are 400 and write nothing', async () => {
  const { doctor, patient } = await pair(app);
  const to = `${conv(doctor.id)}/messages`;
  const bad: { body?: unknown; rawBody?: string }[] = [
    { body: { body: '' } },
    { body: { body: 'x'.repeat(5001) } },
    { body: { body: 5 } },
    { body: {} },
    { body: { body: 'ok', extra: 1 } },
    { body: { body: 'nul\u0000byte' } },
    { body: ['x'] },
    { body: 'text' },
    { rawBody: '{"body":' },
    { rawBody: '' },
  ];
  for (const b of bad) {
    const res = await app.request('POST', to, { token: patient.token, ...b });
    expectProblem(res, 400, 'VALIDATION_FAILED');
  }
  expectProblem(
    await app.request('POST', `${conv('not-a-uuid')}/messages`, { token: patient.token, body: { body: 'x' } }),
    400,
    'VALIDATION_FAILED',
  );
  for (const body of [{}, { upTo: 'nope' }, { upTo: null }, { upTo: '00000000-0000-4000-8000-000000000000', more: true }]) {
    expectProblem(await app.request('POST', `${conv(doctor.id)}/read`, { token: patient.token, body }), 400, 'VALIDATION_FAILED');
  }
  for (const q of [
    '?limit=0',
    '?limit=101',
    '?limit=x',
    '?cursor=%%%',
    '?cursor=WzEuNV0',
    `?cursor=${Buffer.from('["a"]').toString('base64url')}`,
    `?cursor=${Buffer.from('[1e300]').toString('base64url')}`,
    '?foo=1',
  ]) {
    expectProblem(await app.request('GET', `${to}${q}`, { token: patient.token }), 400, 'VALIDATION_FAILED');
    expectProblem(await app.request('GET', `/api/v1/conversations${q}`, { token: patient.token }), 400, 'VALIDATION_FAILED');
  }
  const count = await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM messages WHERE sender_id = ${patient.id}`);
  assert.equal(count[0].n, 0);
  const longest = await send(app, patient, doctor, 'é'.repeat(4999) + '🫀');
  assert.equal([...longest.body].length, 5000);
});

test('sending and reading messages are audited with the patient of the pair, without bodies', async () => {
  const { doctor, patient } = await pair(app);
  const m = await send(app, doctor, patient, 'audited');
  await app.request('GET', `${conv(doctor.id)}/messages`, { token: patient.token });
  await app.request('GET', '/api/v1/conversations', { token: doctor.token });
  await app.request('POST', `${conv(doctor.id)}/read`, { token: patient.token, body: { upTo: m.id } });
  const rows = await app.database.rows<{ action: string; actor_id: string; patient_id: string; resource_id: string }>(sql`
    SELECT action, actor_id, patient_id, resource_id FROM audit_events WHERE (action LIKE 'message.%' OR action LIKE 'conversation.%') AND actor_id IN (${doctor.id}, ${patient.id}) ORDER BY seq`);
  assert.deepEqual(
    rows.map((r) => [r.action, r.actor_id, r.patient_id]),
    [
      ['message.send', doctor.id, patient.id],
      ['message.list', patient.id, patient.id],
      ['conversation.list', doctor.id, patient.id],
      ['message.mark_read', patient.id, patient.id],
    ],
  );
  assert.equal(rows[0].resource_id, m.id);
});

test('unread counts stay exact while two patients and the doctor send and the doctor marks read at the same time', async () => {
  // The counters change in the transactions of the sends and the read marks (migration 0035): on the server
  // engine these run concurrently on the pool's connections, so a lost or doubled update would show here.
  const { doctor, patient } = await pair(app);
  const { patient: patient2 } = await pair(app, 'CONFIRMED', { doctor });
  const PER_SENDER = 20;
  const sendAll = async (from: Person, to: Person) => {
    for (let i = 0; i < PER_SENDER; i++) await send(app, from, to, `${i}`);
  };
  /** The doctor reads each thread up to its newest message from the patient, again and again while they send. */
  let sending = true;
  let marks = 0;
  const markWhileSending = async (from: Person) => {
    while (sending) {
      const hist = await app.request('GET', `${conv(from.id)}/messages?limit=1`, { token: doctor.token });
      assert.equal(hist.status, 200, hist.text);
      const newest = hist.body.items[0];
      if (newest) {
        const res = await app.request('POST', `${conv(from.id)}/read`, { token: doctor.token, body: { upTo: newest.id } });
        assert.equal(res.status, 204, res.text);
        marks++;
      }
    }
  };
  const senders = Promise.all([sendAll(patient, doctor), sendAll(patient2, doctor), sendAll(doctor, patient)]).finally(() => {
    sending = false;
  });
  await Promise.all([senders, markWhileSending(patient), markWhileSending(patient2)]);
  assert.ok(marks > 0, 'the doctor marked read while messages arrived');

  /** What the list says against what the history shows, for `me` and each thread. */
  const check = async (me: Person) => {
    const list = await app.request('GET', '/api/v1/conversations', { token: me.token });
    assert.equal(list.status, 200, list.text);
    for (const c of list.body.items) {
      const hist = await app.request('GET', `${conv(c.participant.id)}/messages?limit=100`, { token: me.token });
      const unread = hist.body.items.filter((m: any) => m.recipientId === me.id && m.readAt === null).length;
      assert.equal(c.unreadCount, unread, `${me.id}'s thread with ${c.participant.id}`);
    }
    return list.body.items.map((c: any) => c.unreadCount as number);
  };
  await check(doctor);
  assert.deepEqual(await check(patient), [PER_SENDER], "nobody read the doctor's messages");
  await check(patient2);
  // The counters agree with the rows, and reading everything brings the doctor's to zero.
  const drift = await app.database.rows(sql`
    SELECT u.recipient_id, u.sender_id, u.unread, count(m.id)::int AS counted
      FROM message_unread u LEFT JOIN messages m ON m.recipient_id = u.recipient_id AND m.sender_id = u.sender_id AND m.read_at IS NULL
     WHERE u.recipient_id IN (${doctor.id}, ${patient.id}, ${patient2.id})
     GROUP BY 1, 2, 3 HAVING u.unread <> count(m.id)`);
  assert.deepEqual(drift, []);
  for (const p of [patient, patient2]) {
    const newest = (await app.request('GET', `${conv(p.id)}/messages?limit=1`, { token: doctor.token })).body.items[0];
    assert.equal((await app.request('POST', `${conv(p.id)}/read`, { token: doctor.token, body: { upTo: newest.id } })).status, 204);
  }
  assert.deepEqual(await check(doctor), [0, 0]);
});
