// Hooks live on the platform object (docs/architecture.md, "Hooks on the platform object"): buildApp creates
// and subscribes them, and a hook or provider nobody wired fails loudly instead of silently doing nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { assertWired, Hook, Provider, type HookRegistry } from '../src/platform/hooks.ts';
import { createHooks } from '../src/modules/index.ts';
import { createHooks as appointmentHooks, service as appointments } from '../src/modules/appointments/index.ts';
import { createHooks as doctorHooks } from '../src/modules/doctors/index.ts';
import { createHooks as visitHooks } from '../src/modules/visits/index.ts';
import { createHooks as clinicalHooks } from '../src/modules/clinical/index.ts';
import { createPatient } from './helpers.ts';
import { blocking, bookedDoctor, cancel, joined, offersOf, waitlistApp } from './fixtures/waitlist.ts';

test('an app built by buildApp carries its own hooks, every one subscribed or provided', async (t) => {
  const app = await waitlistApp(t);
  const hooks = app.app.platform.hooks;
  assert.doesNotThrow(() => assertWired(hooks));
  assert.equal(hooks.appointments.timeFreed.subscribers, 1);
  assert.equal(hooks.appointments.changed.subscribers, 1);
  assert.equal(hooks.doctors.availabilityReplaced.subscribers, 1);
  assert.equal(hooks.doctors.timeOffRemoved.subscribers, 1);
  assert.equal(hooks.appointments.bookingNotices.provided, true);
  // Per platform, not per process: another composition is another set of hooks.
  const other = createHooks();
  assert.notEqual(other.appointments.timeFreed, hooks.appointments.timeFreed);
  assert.notEqual(other.doctors.timeOffRemoved, hooks.doctors.timeOffRemoved);
});

test('a hook nobody subscribed to and a provider nobody provided throw; assertWired names them', async () => {
  const lonely = new Hook<[number]>('test.lonely');
  await assert.rejects(lonely.run(1), /test\.lonely has no subscriber/);
  const ran: number[] = [];
  lonely.subscribe(async (n) => void ran.push(n));
  await lonely.run(2);
  assert.deepEqual(ran, [2]);

  const nothing = new Provider<{ x: number }>('test.nothing');
  assert.throws(() => nothing.get(), /test\.nothing has no provider/);
  nothing.provide({ x: 1 });
  assert.deepEqual(nothing.get(), { x: 1 });
  assert.throws(() => nothing.provide({ x: 2 }), /already provided/);

  // The modules' own factories, without the composition root: nothing is subscribed.
  const bare: HookRegistry = { doctors: doctorHooks(), appointments: appointmentHooks(), visits: visitHooks(), clinical: clinicalHooks() };
  assert.throws(
    () => assertWired(bare),
    (e: Error) =>
      [
        'doctors.availabilityReplaced',
        'doctors.timeOffRemoved',
        'appointments.timeFreed',
        'appointments.changed',
        'appointments.bookingNotices',
        'visits.gate',
        'clinical.patientLocation',
      ].every((name) => e.message.includes(name)),
  );
});

test('a cancel on a platform whose hooks nobody subscribed fails and changes nothing; the wired app offers the freed slot', async (t) => {
  const app = await waitlistApp(t);
  const { doctor, holder, appointmentId } = await bookedDoctor(app);
  const waiting = await createPatient(app);
  await joined(app, waiting, doctor.id);
  const statusOf = async () =>
    (await app.database.rows<{ status: string }>(sql`SELECT status FROM appointments WHERE id = ${appointmentId}`))[0].status;
  const before = await statusOf();
  const platform = app.app.platform;
  const wired = platform.hooks;
  // What a script importing the service without the composition root used to get: hooks with no subscriber.
  platform.hooks = { doctors: doctorHooks(), appointments: appointmentHooks(), visits: visitHooks(), clinical: clinicalHooks() };
  try {
    const meta = {
      ip: '127.0.0.1',
      requestId: randomUUID(),
      actor: { userId: holder.id, role: 'PATIENT' as const, sessionId: randomUUID(), emailVerified: true, doctorStatus: null },
    };
    await assert.rejects(appointments.cancel(platform, meta, appointmentId), /appointments\.timeFreed has no subscriber/);
  } finally {
    platform.hooks = wired;
  }
  assert.equal(await statusOf(), before, 'the failed cancel rolled back');
  assert.deepEqual(await offersOf(app, doctor.id), []);

  const res = await cancel(app, holder, appointmentId);
  assert.equal(res.status, 200, res.text);
  const offers = await offersOf(app, doctor.id);
  assert.equal(offers.length, 1);
  assert.equal(offers[0].patient_id, waiting.id);
  assert.deepEqual(
    (await blocking(app, doctor.id)).map((b) => [b.status, b.patient_id]),
    [['HELD', waiting.id]],
  );
});
