// Accepting an offer while its hold runs out (the sweeper is woken at that moment), and accepting while
// declining: exactly one outcome, never a 500, the database agreeing with the answers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPatient, type Person, type TestApp } from '../../../test/helpers.ts';
import { pinNow } from '../../../test/fixtures/booking.ts';
import { kickWaitlist } from './worker.ts';
import {
  accept,
  blocking,
  bookedDoctor,
  cancel,
  closeAll,
  decline,
  joined,
  NOW,
  offerEvent,
  offersOf,
  slotAt,
  socket,
  waitlistApp,
} from '../../../test/fixtures/waitlist.ts';

let app: TestApp;
let people: Person[];
before(async () => {
  app = await waitlistApp();
  people = [];
  for (let i = 0; i < 3; i++) people.push(await createPatient(app));
});
after(async () => {
  await app.close();
});

const ROUNDS = 4;

test("accept racing expiry: either the appointment or the expiry and the next in line's offer, never both, never a 500", async () => {
  const [holder, a, b] = people;
  const outcomes: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      pinNow(app, NOW);
      const slot = slotAt(round);
      const { doctor, appointmentId } = await bookedDoctor(app, slot, {}, holder);
      await joined(app, a, doctor.id);
      await joined(app, b, doctor.id);
      const [wsA, wsB] = [await socket(app, a), await socket(app, b)];
      await cancel(app, holder, appointmentId);
      const offer = await offerEvent(wsA, slot);
      // The clock reaches the expiry while the accept is in flight, earlier or later in its course from
      // round to round, and the sweeper is woken at that moment. Either outcome is right; both is not.
      const accepting = accept(app, a, offer.id);
      await new Promise<void>((resolve) =>
        setTimeout(
          () => {
            pinNow(app, offer.expiresAt);
            kickWaitlist(app.app.platform);
            resolve();
          },
          [0, 25, 75, 200][round % 4],
        ),
      );
      const res = await accepting;
      outcomes.push(res.status);
      if (res.status === 201) {
        assert.deepEqual(
          (await offersOf(app, doctor.id)).map((o) => [o.patient_id, o.status]),
          [[a.id, 'ACCEPTED']],
        );
        assert.deepEqual(
          (await blocking(app, doctor.id, slot)).map((r) => [r.status, r.patient_id]),
          [[res.body.status, a.id]],
        );
      } else {
        assert.equal(res.status, 409, res.text);
        assert.equal(res.body.code, 'WAITLIST_OFFER_EXPIRED');
        await offerEvent(wsB, slot);
        assert.deepEqual(
          (await offersOf(app, doctor.id)).map((o) => [o.patient_id, o.status]),
          [
            [a.id, 'EXPIRED'],
            [b.id, 'OFFERED'],
          ],
        );
        assert.deepEqual(
          (await blocking(app, doctor.id, slot)).map((r) => [r.status, r.patient_id]),
          [['HELD', b.id]],
        );
        // b's hold is for a different doctor next round only after it is released: decline it to keep b free.
        const offered = (await offersOf(app, doctor.id))[1];
        assert.equal((await decline(app, b, offered.id)).status, 204);
      }
      closeAll(wsA, wsB);
    }
  } finally {
    pinNow(app, NOW);
  }
  console.log(`accept vs expiry outcomes: ${outcomes.join(', ')}`);
});

test('accept racing decline of the same offer: exactly one succeeds', async () => {
  const [holder, a] = people;
  for (let round = 0; round < ROUNDS; round++) {
    // The next day, so these times stay inside working hours and clear of the rounds above.
    const slot = new Date(Date.parse(slotAt(round)) + 86_400_000).toISOString();
    const { doctor, appointmentId } = await bookedDoctor(app, slot, {}, holder);
    await joined(app, a, doctor.id, { from: '2027-01-06T00:00:00.000Z', to: '2027-01-07T00:00:00.000Z' });
    const ws = await socket(app, a);
    await cancel(app, holder, appointmentId);
    const offer = await offerEvent(ws, slot);
    const [acc, dec] = await Promise.all([accept(app, a, offer.id), decline(app, a, offer.id)]);
    const won = [acc.status === 201, dec.status === 204];
    assert.equal(won.filter(Boolean).length, 1, `${acc.status} ${acc.text} / ${dec.status} ${dec.text}`);
    const loser = won[0] ? dec : acc;
    assert.equal(loser.status, 409);
    assert.equal(loser.body.code, 'WAITLIST_OFFER_EXPIRED');
    const [o] = await offersOf(app, doctor.id);
    assert.equal(o.status, won[0] ? 'ACCEPTED' : 'DECLINED');
    assert.equal((await blocking(app, doctor.id, slot)).length, won[0] ? 1 : 0);
    closeAll(ws);
  }
});
