// Races around a freed slot, on whichever engine runs the suite: exactly one outcome each time, never a
// 500, and the database's own view (holds and appointments at the slot) agrees with the answers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { createPatient, type TestApp } from '../../../test/helpers.ts';
import { book, pinNow } from '../doctors/test-support.ts';
import { kickWaitlist } from './worker.ts';
import { accept, blocking, bookedDoctor, cancel, closeAll, decline, joined, NOW, offerEvent, offersOf, SLOT, socket, waitlistApp } from './testkit.ts';

let app: TestApp;
before(async () => { app = await waitlistApp(); });
after(async () => { await app.close(); });

const ROUNDS = 4;

test('a cancellation and a direct booking racing for the freed slot: the booking or the hold, never both, never a 500', async () => {
  for (let round = 0; round < ROUNDS; round++) {
    const { doctor, holder, appointmentId } = await bookedDoctor(app);
    const waiter = await createPatient(app);
    const booker = await createPatient(app);
    await joined(app, waiter, doctor.id);
    const [cancelled, booked] = await Promise.all([cancel(app, holder, appointmentId), book(app, booker, doctor.id, SLOT)]);
    assert.equal(cancelled.status, 200, cancelled.text);
    assert.ok([201, 409].includes(booked.status), `booking answered ${booked.status} ${booked.text}`);
    const rows = await blocking(app, doctor.id);
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
  for (let round = 0; round < ROUNDS; round++) {
    const { doctor, holder, appointmentId } = await bookedDoctor(app);
    const [a, b] = [await createPatient(app), await createPatient(app)];
    await Promise.all([joined(app, a, doctor.id), joined(app, b, doctor.id)]);
    const [first] = await app.database.rows<{ patient_id: string }>(sql`SELECT patient_id FROM waitlist_entries WHERE doctor_id = ${doctor.id} ORDER BY seq LIMIT 1`);
    const ws = await socket(app, first.patient_id === a.id ? a : b);
    await cancel(app, holder, appointmentId);
    await offerEvent(ws);
    assert.deepEqual((await offersOf(app, doctor.id)).map((o) => o.patient_id), [first.patient_id]);
    closeAll(ws);
  }
});

test('two slots freed at once for two waiting patients: one offer each, never two to one patient', async () => {
  for (let round = 0; round < ROUNDS; round++) {
    const one = await bookedDoctor(app);
    const other = await createPatient(app);
    const second = await book(app, other, one.doctor.id, '2027-01-05T09:30:00.000Z');
    assert.equal(second.status, 201, second.text);
    const [a, b] = [await createPatient(app), await createPatient(app)];
    await joined(app, a, one.doctor.id);
    await joined(app, b, one.doctor.id);
    const [wsA, wsB] = [await socket(app, a), await socket(app, b)];
    const answers = await Promise.all([cancel(app, one.holder, one.appointmentId), cancel(app, other, second.body.id)]);
    assert.deepEqual(answers.map((r) => r.status), [200, 200]);
    await wsA.next((f) => f.type === 'waitlist.offer');
    await wsB.next((f) => f.type === 'waitlist.offer');
    const offers = await offersOf(app, one.doctor.id);
    assert.deepEqual(offers.map((o) => o.patient_id).sort(), [a.id, b.id].sort());
    assert.equal(new Set(offers.map((o) => new Date(o.starts_at).getTime())).size, 2);
    closeAll(wsA, wsB);
  }
});

test('accept racing expiry: either the appointment or the expiry (and the next in line\'s offer), never both, never a 500', async () => {
  const seen = new Set<number>();
  try {
    for (let round = 0; round < ROUNDS * 2; round++) {
      pinNow(app, NOW);
      const { doctor, holder, appointmentId } = await bookedDoctor(app);
      const [a, b] = [await createPatient(app), await createPatient(app)];
      await joined(app, a, doctor.id);
      await joined(app, b, doctor.id);
      const [wsA, wsB] = [await socket(app, a), await socket(app, b)];
      await cancel(app, holder, appointmentId);
      const offer = await offerEvent(wsA);
      // The clock reaches the expiry while the accept is in flight; the sweeper is woken at the same moment.
      const accepting = accept(app, a, offer.id);
      pinNow(app, offer.expiresAt);
      kickWaitlist(app.app.platform);
      const res = await accepting;
      seen.add(res.status);
      const offers = await offersOf(app, doctor.id);
      if (res.status === 201) {
        assert.deepEqual(offers.map((o) => [o.patient_id, o.status]), [[a.id, 'ACCEPTED']]);
        assert.deepEqual((await blocking(app, doctor.id)).map((r) => [r.status, r.patient_id]), [[res.body.status, a.id]]);
      } else {
        assert.equal(res.status, 409, res.text);
        assert.equal(res.body.code, 'WAITLIST_OFFER_EXPIRED');
        await offerEvent(wsB);
        const settled = await offersOf(app, doctor.id);
        assert.deepEqual(settled.map((o) => [o.patient_id, o.status]), [[a.id, 'EXPIRED'], [b.id, 'OFFERED']]);
        assert.deepEqual((await blocking(app, doctor.id)).map((r) => [r.status, r.patient_id]), [['HELD', b.id]]);
      }
      closeAll(wsA, wsB);
    }
  } finally {
    pinNow(app, NOW);
  }
  // Which outcome wins is up to the scheduler; each round had exactly one of them.
  assert.ok([...seen].every((s) => s === 201 || s === 409), JSON.stringify([...seen]));
});

test('accept racing decline of the same offer: exactly one succeeds', async () => {
  for (let round = 0; round < ROUNDS; round++) {
    const { doctor, holder, appointmentId } = await bookedDoctor(app);
    const a = await createPatient(app);
    await joined(app, a, doctor.id);
    const ws = await socket(app, a);
    await cancel(app, holder, appointmentId);
    const offer = await offerEvent(ws);
    const [acc, dec] = await Promise.all([accept(app, a, offer.id), decline(app, a, offer.id)]);
    const ok = [acc.status === 201, dec.status === 204];
    assert.equal(ok.filter(Boolean).length, 1, `${acc.status} ${acc.text} / ${dec.status} ${dec.text}`);
    const loser = ok[0] ? dec : acc;
    assert.equal(loser.status, 409);
    assert.equal(loser.body.code, 'WAITLIST_OFFER_EXPIRED');
    const [o] = await offersOf(app, doctor.id);
    assert.equal(o.status, ok[0] ? 'ACCEPTED' : 'DECLINED');
    assert.equal((await blocking(app, doctor.id)).length, ok[0] ? 1 : 0);
    closeAll(ws);
  }
});
