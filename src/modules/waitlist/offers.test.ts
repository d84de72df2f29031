// The offer flow: freed time is held for the first in line, announced by mail and WebSocket, accepted,
// declined, expired on time and passed on. The clock is pinned; tests wait for the events the server sends.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { createAdminUser, createPatient, expectProblem, mailbox, type Person, type TestApp } from '../../../test/helpers.ts';
import { API, book, everyDay, pinNow, setAvailability, slots, workingDoctor } from '../../../test/fixtures/booking.ts';
import {
  accept,
  blocking,
  bookedDoctor,
  cancel,
  closeAll,
  decline,
  HOLD_MS,
  joined,
  NOW,
  offerEvent,
  offersOf,
  SLOT,
  SLOT_END,
  socket,
  waitlistApp,
} from '../../../test/fixtures/waitlist.ts';

let app: TestApp;
before(async () => {
  app = await waitlistApp();
});
after(async () => {
  await app.close();
});

const entryOf = async (who: Person) => (await app.request('GET', `${API}/waitlist`, { token: who.token })).body.items[0];
const daySlots = (doctorId: string) => slots(app, doctorId, '2027-01-05T00:00:00.000Z', '2027-01-06T00:00:00.000Z');

test('a cancellation holds the freed slot for the earliest waiting patient, mails them without medical content and announces it', async () => {
  const doctor = await workingDoctor(app, { body: { firstname: 'Grace', lastname: 'Hopper' } });
  const holder = await createPatient(app);
  const booked = await book(app, holder, doctor.id, SLOT, { reason: 'Chest pain since Tuesday' });
  assert.equal(booked.status, 201, booked.text);
  const [a, b] = [await createPatient(app), await createPatient(app)];
  await joined(app, a, doctor.id);
  await joined(app, b, doctor.id);
  const [wsA, wsB] = [await socket(app, a), await socket(app, b)];

  assert.equal((await cancel(app, holder, booked.body.id)).status, 200);
  const offer = await offerEvent(wsA);
  assert.deepEqual(Object.keys(offer).sort(), ['doctorId', 'endsAt', 'expiresAt', 'id', 'startsAt']);
  assert.equal(offer.doctorId, doctor.id);
  assert.equal(offer.endsAt, SLOT_END);
  assert.equal(offer.expiresAt, new Date(Date.parse(NOW) + HOLD_MS).toISOString());
  const offers = await offersOf(app, doctor.id);
  assert.deepEqual(
    offers.map((o) => [o.patient_id, o.status]),
    [[a.id, 'OFFERED']],
    'only the earliest in line is offered the slot',
  );
  assert.ok(!wsB.frames.some((f) => f.type === 'waitlist.offer'));

  const mail = await mailbox.waitFor(a.email, /is free for you/);
  assert.match(mail.subject, /Dr\. Grace Hopper/);
  assert.match(mail.text, /http:\/\/telecare\.test\/waitlist/);
  assert.match(mail.text, /Tue, 5 Jan 2027, 10:00 \(Europe\/Berlin\), 2027-01-05 09:00 UTC/);
  assert.doesNotMatch(mail.text, /Chest pain|Penicillin/);

  const entry = await entryOf(a);
  assert.equal(entry.status, 'OFFERED');
  assert.deepEqual(entry.offer, offer);

  // Held: not a free slot, not bookable by anyone else, and refused by the database itself.
  assert.ok(!(await daySlots(doctor.id)).includes(SLOT));
  expectProblem(await book(app, await createPatient(app), doctor.id, SLOT), 409, 'SLOT_UNAVAILABLE');
  const [hold] = await blocking(app, doctor.id);
  assert.equal(hold.status, 'HELD');

  // A hold is nobody's appointment: not listed, not readable, by its patient, the doctor or an admin.
  const admin = await createAdminUser(app);
  for (const who of [a, doctor, admin]) {
    const list = await app.request('GET', `${API}/appointments?limit=100`, { token: who.token });
    assert.ok(!list.body.items.some((x: any) => x.id === hold.id));
    expectProblem(await app.request('GET', `${API}/appointments/${hold.id}`, { token: who.token }), 404, 'NOT_FOUND');
  }
  expectProblem(await app.request('POST', `${API}/appointments/${hold.id}/cancel`, { token: a.token }), 404, 'NOT_FOUND');

  const doctorWs = await socket(app, doctor);
  const res = await accept(app, a, offer.id, { reason: 'Follow-up' });
  assert.equal(res.status, 201, res.text);
  assert.equal(res.body.id, hold.id);
  assert.equal(res.body.patientId, a.id);
  assert.equal(res.body.doctorId, doctor.id);
  assert.equal(res.body.startsAt, SLOT);
  assert.equal(res.body.endsAt, SLOT_END);
  assert.equal(res.body.status, 'PENDING');
  assert.equal(res.body.reason, 'Follow-up');
  assert.deepEqual(res.body.doctor, { id: doctor.id, firstname: 'Grace', lastname: 'Hopper' });
  await doctorWs.next((f) => f.type === 'appointment.updated' && f.appointment.id === hold.id);
  const mine = await app.request('GET', `${API}/appointments`, { token: a.token });
  assert.deepEqual(
    mine.body.items.map((x: any) => x.id),
    [hold.id],
  );
  assert.equal((await entryOf(a)).status, 'BOOKED');
  const audited = await app.database.rows(
    sql`SELECT 1 FROM audit_events WHERE action = 'appointment.create' AND resource_id = ${hold.id} AND patient_id = ${a.id}`,
  );
  assert.equal(audited.length, 1);

  expectProblem(await accept(app, a, offer.id), 409, 'WAITLIST_OFFER_EXPIRED');
  expectProblem(await decline(app, a, offer.id), 409, 'WAITLIST_OFFER_EXPIRED');
  assert.deepEqual(
    (await offersOf(app, doctor.id)).map((o) => o.status),
    ['ACCEPTED'],
  );
  closeAll(wsA, wsB, doctorWs);
});

test('a doctor who auto-confirms gets a CONFIRMED appointment from an accepted offer', async () => {
  const { doctor, holder, appointmentId } = await bookedDoctor(app);
  assert.equal((await app.request('PATCH', `${API}/doctors/me`, { token: doctor.token, body: { autoConfirm: true } })).status, 200);
  const a = await createPatient(app);
  await joined(app, a, doctor.id);
  const ws = await socket(app, a);
  await cancel(app, holder, appointmentId);
  const res = await accept(app, a, (await offerEvent(ws)).id);
  assert.equal(res.status, 201, res.text);
  assert.equal(res.body.status, 'CONFIRMED');
  closeAll(ws);
});

test('a declined offer goes to the next in line; the one who declined keeps waiting; with nobody left the slot is free again', async () => {
  const { doctor, holder, appointmentId } = await bookedDoctor(app);
  const [a, b] = [await createPatient(app), await createPatient(app)];
  await joined(app, a, doctor.id);
  await joined(app, b, doctor.id);
  const [wsA, wsB] = [await socket(app, a), await socket(app, b)];
  await cancel(app, holder, appointmentId);
  const first = await offerEvent(wsA);
  const res = await decline(app, a, first.id);
  assert.equal(res.status, 204, res.text);
  const second = await offerEvent(wsB);
  assert.notEqual(second.id, first.id);
  assert.equal((await entryOf(a)).status, 'WAITING');
  assert.equal((await entryOf(b)).status, 'OFFERED');
  assert.deepEqual(
    (await offersOf(app, doctor.id)).map((o) => [o.patient_id, o.status]),
    [
      [a.id, 'DECLINED'],
      [b.id, 'OFFERED'],
    ],
  );
  const holds = await blocking(app, doctor.id);
  assert.deepEqual(
    holds.map((h) => [h.status, h.patient_id]),
    [['HELD', b.id]],
  );

  assert.equal((await decline(app, b, second.id)).status, 204);
  assert.deepEqual(await blocking(app, doctor.id), []);
  assert.ok((await daySlots(doctor.id)).includes(SLOT), 'declined by everyone in line, the slot is bookable again');
  assert.equal((await offersOf(app, doctor.id)).length, 2, 'a slot is not offered again to someone who declined it');
  closeAll(wsA, wsB);
});

test('an offer expires on time with no request at all, and the hold moves to the next in line', async () => {
  const { doctor, holder, appointmentId } = await bookedDoctor(app);
  const [a, b] = [await createPatient(app), await createPatient(app)];
  await joined(app, a, doctor.id);
  await joined(app, b, doctor.id);
  const [wsA, wsB] = [await socket(app, a), await socket(app, b)];
  await cancel(app, holder, appointmentId);
  const first = await offerEvent(wsA);
  try {
    pinNow(app, first.expiresAt);
    // The background sweeper alone expires it: the next patient's event is the proof.
    const second = await offerEvent(wsB);
    assert.equal(second.expiresAt, new Date(Date.parse(first.expiresAt) + HOLD_MS).toISOString());
    assert.deepEqual(
      (await offersOf(app, doctor.id)).map((o) => [o.patient_id, o.status]),
      [
        [a.id, 'EXPIRED'],
        [b.id, 'OFFERED'],
      ],
    );
    expectProblem(await accept(app, a, first.id), 409, 'WAITLIST_OFFER_EXPIRED');
    const res = await accept(app, b, second.id);
    assert.equal(res.status, 201, res.text);
  } finally {
    pinNow(app, NOW);
  }
  closeAll(wsA, wsB);
});

test('moving an appointment away offers its old slot', async () => {
  const { doctor, holder, appointmentId } = await bookedDoctor(app);
  const a = await createPatient(app);
  await joined(app, a, doctor.id);
  const ws = await socket(app, a);
  const moved = await app.request('POST', `${API}/appointments/${appointmentId}/reschedule`, {
    token: holder.token,
    body: { startsAt: '2027-01-05T13:00:00.000Z' },
  });
  assert.equal(moved.status, 200, moved.text);
  const offer = await offerEvent(ws);
  assert.equal(offer.startsAt, SLOT);
  closeAll(ws);
});

test('removing time off offers the slots it freed, one per waiting patient, in line order', async () => {
  const doctor = await workingDoctor(app);
  const off = await app.request('POST', `${API}/doctors/me/time-off`, {
    token: doctor.token,
    body: { startsAt: '2027-01-05T08:00:00.000Z', endsAt: '2027-01-05T10:00:00.000Z' },
  });
  assert.equal(off.status, 201, off.text);
  const [a, b] = [await createPatient(app), await createPatient(app)];
  await joined(app, a, doctor.id, { from: '2027-01-05T08:00:00.000Z', to: '2027-01-05T10:00:00.000Z' });
  await joined(app, b, doctor.id, { from: '2027-01-05T08:00:00.000Z', to: '2027-01-05T10:00:00.000Z' });
  const [wsA, wsB] = [await socket(app, a), await socket(app, b)];
  assert.equal((await app.request('DELETE', `${API}/doctors/me/time-off/${off.body.id}`, { token: doctor.token })).status, 204);
  assert.equal((await offerEvent(wsA, '2027-01-05T08:00:00.000Z')).doctorId, doctor.id);
  assert.equal((await offerEvent(wsB, '2027-01-05T08:30:00.000Z')).doctorId, doctor.id);
  assert.equal((await offersOf(app, doctor.id)).length, 2);
  closeAll(wsA, wsB);
});

test('widening availability offers a newly opened slot, not one that was open before', async () => {
  // Works 09:00–10:00 Berlin (08:00–09:00 UTC); 08:00 is booked, 08:30 has been free all along.
  const doctor = await workingDoctor(app, { weekly: everyDay('09:00', '10:00') });
  assert.equal((await book(app, await createPatient(app), doctor.id, '2027-01-05T08:00:00.000Z')).status, 201);
  const a = await createPatient(app);
  await joined(app, a, doctor.id);
  const ws = await socket(app, a);
  await setAvailability(app, doctor, everyDay('09:00', '11:00'));
  const offer = await offerEvent(ws, '2027-01-05T09:00:00.000Z');
  assert.equal(offer.doctorId, doctor.id);
  assert.deepEqual(
    (await offersOf(app, doctor.id)).map((o) => new Date(o.starts_at).toISOString()),
    ['2027-01-05T09:00:00.000Z'],
  );
  closeAll(ws);
});

test('leaving the list withdraws a live offer and passes the slot on', async () => {
  const { doctor, holder, appointmentId } = await bookedDoctor(app);
  const [a, b] = [await createPatient(app), await createPatient(app)];
  const entryA = await joined(app, a, doctor.id);
  await joined(app, b, doctor.id);
  const [wsA, wsB] = [await socket(app, a), await socket(app, b)];
  await cancel(app, holder, appointmentId);
  const first = await offerEvent(wsA);
  assert.equal((await app.request('DELETE', `${API}/waitlist/${entryA}`, { token: a.token })).status, 204);
  await offerEvent(wsB);
  assert.deepEqual(
    (await offersOf(app, doctor.id)).map((o) => [o.patient_id, o.status]),
    [
      [a.id, 'WITHDRAWN'],
      [b.id, 'OFFERED'],
    ],
  );
  expectProblem(await accept(app, a, first.id), 409, 'WAITLIST_OFFER_EXPIRED');
  closeAll(wsA, wsB);
});

test('a waiting patient who already has an appointment at that time is passed over', async () => {
  const { doctor, holder, appointmentId } = await bookedDoctor(app);
  const busy = await createPatient(app);
  const elsewhere = await workingDoctor(app);
  assert.equal((await book(app, busy, elsewhere.id, SLOT)).status, 201);
  const free = await createPatient(app);
  await joined(app, busy, doctor.id);
  await joined(app, free, doctor.id);
  const ws = await socket(app, free);
  await cancel(app, holder, appointmentId);
  await offerEvent(ws);
  assert.deepEqual(
    (await offersOf(app, doctor.id)).map((o) => o.patient_id),
    [free.id],
  );
  closeAll(ws);
});

test('a suspended patient in line is passed over', async () => {
  const { doctor, holder, appointmentId } = await bookedDoctor(app);
  const [suspended, next] = [await createPatient(app), await createPatient(app)];
  await joined(app, suspended, doctor.id);
  await joined(app, next, doctor.id);
  const admin = await createAdminUser(app);
  const res = await app.request('PATCH', `${API}/admin/users/${suspended.id}`, {
    token: admin.token,
    body: { accountStatus: 'SUSPENDED' },
  });
  assert.equal(res.status, 200, res.text);
  const ws = await socket(app, next);
  await cancel(app, holder, appointmentId);
  await offerEvent(ws);
  assert.deepEqual(
    (await offersOf(app, doctor.id)).map((o) => o.patient_id),
    [next.id],
  );
  closeAll(ws);
});

test('the database itself refuses a booking over a live hold, and allows it once the hold is released', async () => {
  const { doctor, holder, appointmentId } = await bookedDoctor(app);
  const a = await createPatient(app);
  await joined(app, a, doctor.id);
  const ws = await socket(app, a);
  await cancel(app, holder, appointmentId);
  const offer = await offerEvent(ws);
  const other = await createPatient(app);
  const insert = () =>
    app.database.rows(sql`INSERT INTO appointments (patient_id, doctor_id, starts_at, ends_at, status)
    VALUES (${other.id}, ${doctor.id}, '2027-01-05T09:15:00Z', '2027-01-05T09:45:00Z', 'PENDING')`);
  await assert.rejects(insert(), (err: any) => (err.code ?? err.cause?.code) === '23P01');
  assert.equal((await decline(app, a, offer.id)).status, 204);
  await insert();
  closeAll(ws);
});
