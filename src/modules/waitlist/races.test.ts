// Races around a freed slot, on whichever engine runs the suite: exactly one outcome each time, never a
// 500, and the database's own view (holds and appointments at the slot) agrees with the answers. Each
// round has its own doctor and time; the patients are reused (registering costs seconds on a busy machine).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { createPatient, type Person, type TestApp } from '../../../test/helpers.ts';
import { book } from '../../../test/fixtures/booking.ts';
import {
  blocking,
  bookedDoctor,
  cancel,
  closeAll,
  joined,
  offerEvent,
  offersOf,
  slotAt,
  socket,
  waitlistApp,
} from '../../../test/fixtures/waitlist.ts';

let app: TestApp;
let people: Person[];
before(async () => {
  // The rounds reuse four patients on ever new doctors' lists: more lists than a patient may wait on by default.
  app = await waitlistApp(undefined, { waitlistMaxEntries: 100 });
  people = [];
  for (let i = 0; i < 4; i++) people.push(await createPatient(app));
});
after(async () => {
  await app.close();
});

const ROUNDS = 3;

test('a cancellation and a direct booking racing for the freed slot: the booking or the hold, never both, never a 500', async () => {
  const [holder, waiter, booker] = people;
  for (let round = 0; round < ROUNDS; round++) {
    const slot = slotAt(round);
    const { doctor, appointmentId } = await bookedDoctor(app, slot, {}, holder);
    await joined(app, waiter, doctor.id);
    const [cancelled, booked] = await Promise.all([cancel(app, holder, appointmentId), book(app, booker, doctor.id, slot)]);
    assert.equal(cancelled.status, 200, cancelled.text);
    assert.ok([201, 409].includes(booked.status), `booking answered ${booked.status} ${booked.text}`);
    const rows = await blocking(app, doctor.id, slot);
    assert.equal(rows.length, 1, `exactly one claim on the slot: ${JSON.stringify(rows)}`);
    if (booked.status === 201) {
      assert.deepEqual([rows[0].status, rows[0].patient_id], [booked.body.status, booker.id]);
      assert.equal((await offersOf(app, doctor.id)).length, 0);
    } else {
      assert.equal(booked.body.code, 'SLOT_UNAVAILABLE');
      assert.deepEqual([rows[0].status, rows[0].patient_id], ['HELD', waiter.id]);
    }
  }
});

test('two waitlisted patients who joined at once: only the earlier in line gets the offer', async () => {
  const [holder, a, b] = people;
  for (let round = 0; round < ROUNDS; round++) {
    const slot = slotAt(ROUNDS + round);
    const { doctor, appointmentId } = await bookedDoctor(app, slot, {}, holder);
    await Promise.all([joined(app, a, doctor.id), joined(app, b, doctor.id)]);
    const [first] = await app.database.rows<{ patient_id: string }>(
      sql`SELECT patient_id FROM waitlist_entries WHERE doctor_id = ${doctor.id} ORDER BY seq LIMIT 1`,
    );
    const ws = await socket(app, first.patient_id === a.id ? a : b);
    await cancel(app, holder, appointmentId);
    await offerEvent(ws, slot);
    assert.deepEqual(
      (await offersOf(app, doctor.id)).map((o) => o.patient_id),
      [first.patient_id],
    );
    closeAll(ws);
  }
});

test('two slots freed at once for two waiting patients: one offer each, never two to one patient', async () => {
  const [holder, a, b, other] = people;
  for (let round = 0; round < ROUNDS; round++) {
    // The next day, so these times stay inside working hours and clear of the rounds above.
    const slot = new Date(Date.parse(slotAt(round)) + 86_400_000).toISOString();
    const window = { from: '2027-01-06T00:00:00.000Z', to: '2027-01-07T00:00:00.000Z' };
    const next = new Date(Date.parse(slot) + 1_800_000).toISOString();
    const one = await bookedDoctor(app, slot, {}, holder);
    const second = await book(app, other, one.doctor.id, next);
    assert.equal(second.status, 201, second.text);
    await joined(app, a, one.doctor.id, window);
    await joined(app, b, one.doctor.id, window);
    const [wsA, wsB] = [await socket(app, a), await socket(app, b)];
    const answers = await Promise.all([cancel(app, holder, one.appointmentId), cancel(app, other, second.body.id)]);
    assert.deepEqual(
      answers.map((r) => r.status),
      [200, 200],
    );
    await wsA.next((f) => f.type === 'waitlist.offer' && f.offer.doctorId === one.doctor.id, 15_000);
    await wsB.next((f) => f.type === 'waitlist.offer' && f.offer.doctorId === one.doctor.id, 15_000);
    const offers = await offersOf(app, one.doctor.id);
    assert.deepEqual(offers.map((o) => o.patient_id).sort(), [a.id, b.id].sort());
    assert.deepEqual(offers.map((o) => new Date(o.starts_at).toISOString()).sort(), [slot, next]);
    closeAll(wsA, wsB);
  }
});
