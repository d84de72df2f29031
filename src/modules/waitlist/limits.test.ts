// Waitlist hoarding: how many lists a patient waits on, who is eligible for an offer, and that a slot
// someone let go never returns to them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPatient, expectProblem, type Person, type TestApp } from '../../../test/helpers.ts';
import { API, book, workingDoctor } from '../../../test/fixtures/booking.ts';
import {
  bookedDoctor,
  cancel,
  closeAll,
  decline,
  join,
  joined,
  offerEvent,
  offersOf,
  SLOT,
  slotAt,
  socket,
  waitlistApp,
} from '../../../test/fixtures/waitlist.ts';

let app: TestApp;
before(async () => {
  // Small booking limits, so that reaching them takes two bookings.
  app = await waitlistApp(undefined, { bookingMaxOpen: 2, bookingMaxOpenPerDoctor: 1 });
});
after(async () => {
  await app.close();
});

const leave = (who: Person, id: string) => app.request('DELETE', `${API}/waitlist/${id}`, { token: who.token });

test('a patient waits on at most one list per doctor and five in all: one more is 409 WAITLIST_LIMIT_REACHED', async () => {
  const p = await createPatient(app);
  const doctors = [];
  for (let i = 0; i < 6; i++) doctors.push(await workingDoctor(app));
  const first = await joined(app, p, doctors[0].id);
  expectProblem(await join(app, p, doctors[0].id), 409, 'WAITLIST_LIMIT_REACHED');
  for (const d of doctors.slice(1, 5)) await joined(app, p, d.id);
  const res = await join(app, p, doctors[5].id);
  expectProblem(res, 409, 'WAITLIST_LIMIT_REACHED');
  assert.match(res.body.detail, /at most 5 lists/);
  const mine = await app.request('GET', `${API}/waitlist?limit=100`, { token: p.token });
  assert.equal(mine.body.items.length, 5);
  // Leaving a list frees its place.
  assert.equal((await leave(p, first)).status, 204);
  await joined(app, p, doctors[5].id);
  expectProblem(await join(app, p, doctors[0].id), 409, 'WAITLIST_LIMIT_REACHED');
});

test('the limit holds under concurrency: of 8 simultaneous joins 5 succeed', async () => {
  const p = await createPatient(app);
  const doctors = [];
  for (let i = 0; i < 8; i++) doctors.push(await workingDoctor(app));
  const results = await Promise.all(doctors.map((d) => join(app, p, d.id)));
  const statuses = results.map((r) => r.status).sort();
  assert.deepEqual(statuses, [201, 201, 201, 201, 201, 409, 409, 409], results.map((r) => r.text).join('\n'));
  for (const r of results.filter((x) => x.status === 409)) expectProblem(r, 409, 'WAITLIST_LIMIT_REACHED');
  const same = await workingDoctor(app);
  const q = await createPatient(app);
  const twice = await Promise.all([join(app, q, same.id), join(app, q, same.id), join(app, q, same.id)]);
  assert.deepEqual(twice.map((r) => r.status).sort(), [201, 409, 409]);
});

test('the limits are configurable', async (t) => {
  const small = await waitlistApp(t, { waitlistMaxEntries: 2, waitlistMaxEntriesPerDoctor: 2 });
  const p = await createPatient(small);
  const d = await workingDoctor(small);
  const other = await workingDoctor(small);
  await joined(small, p, d.id);
  await joined(small, p, d.id, { from: '2027-01-06T00:00:00.000Z', to: '2027-01-07T00:00:00.000Z' });
  expectProblem(await join(small, p, other.id), 409, 'WAITLIST_LIMIT_REACHED');
});

test('a patient at their booking limit gets no offer: the next in line does', async () => {
  // In all: two open appointments elsewhere.
  const { doctor, holder, appointmentId } = await bookedDoctor(app);
  const [full, fullWithDoctor, next] = [await createPatient(app), await createPatient(app), await createPatient(app)];
  for (const r of [2, 3]) assert.equal((await book(app, full, (await workingDoctor(app)).id, slotAt(r))).status, 201);
  // With this doctor: one open appointment with them (the per-doctor limit is 1 here).
  assert.equal((await book(app, fullWithDoctor, doctor.id, slotAt(4))).status, 201);
  await joined(app, full, doctor.id);
  await joined(app, fullWithDoctor, doctor.id);
  await joined(app, next, doctor.id);
  const ws = await socket(app, next);
  assert.equal((await cancel(app, holder, appointmentId)).status, 200);
  await offerEvent(ws);
  assert.deepEqual(
    (await offersOf(app, doctor.id)).map((o) => o.patient_id),
    [next.id],
  );
  closeAll(ws);
});

test('a declined slot never returns to the patient who let it go, not even through a new entry', async () => {
  const { doctor, holder, appointmentId } = await bookedDoctor(app);
  const a = await createPatient(app);
  const entry = await joined(app, a, doctor.id);
  const wsA = await socket(app, a);
  assert.equal((await cancel(app, holder, appointmentId)).status, 200);
  const offer = await offerEvent(wsA);
  assert.equal((await decline(app, a, offer.id)).status, 204);
  // Leave and join again: a new entry, a new place in line.
  assert.equal((await leave(a, entry)).status, 204);
  await joined(app, a, doctor.id);
  const b = await createPatient(app);
  await joined(app, b, doctor.id);
  const wsB = await socket(app, b);
  // The slot is booked and freed again: it goes to b, although a is first in line.
  const again = await book(app, await createPatient(app), doctor.id, SLOT);
  assert.equal(again.status, 201, again.text);
  assert.equal((await cancel(app, doctor, again.body.id)).status, 200);
  await offerEvent(wsB);
  assert.deepEqual(
    (await offersOf(app, doctor.id)).map((o) => [o.patient_id, o.status]),
    [
      [a.id, 'DECLINED'],
      [b.id, 'OFFERED'],
    ],
  );
  closeAll(wsA, wsB);
});
