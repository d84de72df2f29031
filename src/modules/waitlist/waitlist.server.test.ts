// Two instances on one PostgreSQL database, each with its own waitlist worker: an offer made on one is
// announced once to a socket on the other, and offers expiring while both sweep are expired once and
// passed on once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectWs, createPatient, type Person, type TestApp } from '../../../test/helpers.ts';
import { pinNow } from '../../../test/fixtures/booking.ts';
import { accept, bookedDoctor, cancel, closeAll, joined, NOW, offerEvent, offersOf, waitlistApp } from '../../../test/fixtures/waitlist.ts';

test('two instances: one announcement per offer across instances, and each expiry handled once while both sweep', async (t) => {
  const one = await waitlistApp(t);
  const two = await waitlistApp(t, {}, { databaseUrl: one.databaseUrl! });
  const pinBoth = (iso: string) => {
    pinNow(one, iso);
    pinNow(two, iso);
  };
  pinBoth(NOW);
  const busOf = (app: TestApp) => app.app.platform.bus as { listening?: () => Promise<void> };
  await Promise.all([busOf(one).listening?.(), busOf(two).listening?.()]);

  const rounds: { doctorId: string; a: Person; b: Person; holder: Person; appointmentId: string }[] = [];
  for (let i = 0; i < 3; i++) {
    const { doctor, holder, appointmentId } = await bookedDoctor(one);
    const [a, b] = [await createPatient(one), await createPatient(one)];
    await joined(one, a, doctor.id);
    await joined(two, b, doctor.id);
    rounds.push({ doctorId: doctor.id, a, b, holder, appointmentId });
  }
  const socketsA = await Promise.all(rounds.map((r) => connectWs(two, r.a.token)));
  const socketsB = await Promise.all(rounds.map((r) => connectWs(one, r.b.token)));

  // Cancelled through instance one; the patients' sockets are on instance two.
  for (const r of rounds) assert.equal((await cancel(one, r.holder, r.appointmentId)).status, 200);
  const first = await Promise.all(socketsA.map((ws) => offerEvent(ws)));

  // Both instances sweep; the clock of both reaches the expiry.
  pinBoth(first[0].expiresAt);
  const second = await Promise.all(socketsB.map((ws) => offerEvent(ws)));
  for (const r of rounds) {
    const offers = await offersOf(one, r.doctorId);
    assert.deepEqual(
      offers.map((o) => [o.patient_id, o.status]),
      [
        [r.a.id, 'EXPIRED'],
        [r.b.id, 'OFFERED'],
      ],
    );
  }
  // Accepted on the instance that did not announce it.
  const res = await accept(two, rounds[0].b, second[0].id);
  assert.equal(res.status, 201, res.text);

  // Each announcement reached its patient once, though two workers could have sent it.
  for (const [i, ws] of socketsA.entries())
    assert.equal(ws.frames.filter((f) => f.type === 'waitlist.offer' && f.offer.id === first[i].id).length, 1);
  for (const [i, ws] of socketsB.entries())
    assert.equal(ws.frames.filter((f) => f.type === 'waitlist.offer' && f.offer.id === second[i].id).length, 1);
  closeAll(...socketsA, ...socketsB);
});
