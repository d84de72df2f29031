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
import { API } from '../../../test/fixtures/booking.ts';

let app: TestApp;
let cardio: Person, neuro: Person, pending: Person, suspended: Person;
before(async () => {
  app = await build();
  cardio = await createDoctor(app, {
    body: { firstname: 'Anna', lastname: 'Herz', specialization: 'Cardiology', bio: 'Echo and rhythm 100%' },
  });
  neuro = await createDoctor(app, { body: { firstname: 'Bert', lastname: 'Nerv', specialization: 'Neurology', bio: 'Migraine clinic' } });
  pending = await createDoctor(app, { credentials: 'PENDING', body: { lastname: 'Pending', specialization: 'Cardiology' } });
  suspended = await createDoctor(app, { body: { lastname: 'Suspended', specialization: 'Cardiology' } });
  await app.database.rows(sql`UPDATE users SET account_status = 'SUSPENDED' WHERE id = ${suspended.id}`);
});
after(async () => {
  await app.close();
});

const list = async (query = '') => {
  const res = await app.request('GET', `${API}/doctors${query}`);
  assert.equal(res.status, 200, res.text);
  return res.body as { items: any[]; nextCursor: string | null };
};

test('the directory lists verified, active doctors only, with public fields only', async () => {
  const { items } = await list('?limit=100');
  const ids = items.map((d) => d.id);
  assert.ok(ids.includes(cardio.id) && ids.includes(neuro.id));
  assert.ok(!ids.includes(pending.id) && !ids.includes(suspended.id));
  assert.deepEqual(Object.keys(items[0]).sort(), [
    'bio',
    'cancellationNoticeHours',
    'firstname',
    'id',
    'lastname',
    'slotMinutes',
    'specialization',
    'timezone',
  ]);
  assert.doesNotMatch(JSON.stringify(items), /LIC-|@example\.test/);
});

test('the directory filters by specialization and by q over name, specialization and bio', async () => {
  assert.deepEqual(
    (await list('?specialization=cardiology')).items.map((d) => d.id),
    [cardio.id],
  );
  assert.deepEqual(
    (await list('?q=nerv')).items.map((d) => d.id),
    [neuro.id],
  );
  assert.deepEqual(
    (await list('?q=Anna%20Herz')).items.map((d) => d.id),
    [cardio.id],
  );
  assert.deepEqual(
    (await list('?q=migraine')).items.map((d) => d.id),
    [neuro.id],
  );
  assert.deepEqual(
    (await list('?q=NEUROLOGY')).items.map((d) => d.id),
    [neuro.id],
  );
  assert.deepEqual(
    (await list('?q=100%25')).items.map((d) => d.id),
    [cardio.id],
    'a % in q is a literal',
  );
  assert.deepEqual((await list('?q=_')).items, []);
});

test('the directory pages by last name with a cursor', async () => {
  const extra = await createDoctor(app, { body: { lastname: 'Zeta' } });
  const first = await list('?limit=2');
  const second = await list(`?limit=2&cursor=${first.nextCursor}`);
  assert.deepEqual(
    [...first.items, ...second.items].map((d) => d.lastname),
    ['Herz', 'Nerv', 'Zeta'],
  );
  assert.equal(second.nextCursor, null);
  assert.equal(second.items[0].id, extra.id);
  for (const q of ['?limit=0', '?cursor=zzz', '?q=', '?sort=name'])
    expectProblem(await app.request('GET', `${API}/doctors${q}`), 400, 'VALIDATION_FAILED');
});

test('a public profile is visible for bookable doctors only (404 otherwise)', async () => {
  const res = await app.request('GET', `${API}/doctors/${cardio.id}`);
  assert.equal(res.status, 200);
  assert.equal(res.body.licenseNumber, undefined);
  for (const id of [pending.id, suspended.id, '00000000-0000-4000-8000-000000000000'])
    expectProblem(await app.request('GET', `${API}/doctors/${id}`), 404, 'NOT_FOUND');
  expectProblem(await app.request('GET', `${API}/doctors/xyz`), 400, 'VALIDATION_FAILED');
});

test('a doctor reads and updates their own full profile; other roles get 403, anonymous 401', async () => {
  const me = await app.request('GET', `${API}/doctors/me`, { token: pending.token });
  assert.equal(me.status, 200);
  assert.equal(me.body.verificationStatus, 'PENDING');
  assert.match(me.body.licenseNumber, /^LIC-/);
  const patch = await app.request('PATCH', `${API}/doctors/me`, {
    token: cardio.token,
    body: { bio: 'New bio', timezone: 'America/New_York', slotMinutes: 45, autoConfirm: true, minNoticeMinutes: 0, maxAdvanceDays: 30 },
  });
  assert.equal(patch.status, 200);
  assert.deepEqual(
    [patch.body.bio, patch.body.timezone, patch.body.slotMinutes, patch.body.autoConfirm, patch.body.maxAdvanceDays],
    ['New bio', 'America/New_York', 45, true, 30],
  );
  expectProblem(await app.request('GET', `${API}/doctors/me`, { token: (await createPatient(app)).token }), 403, 'FORBIDDEN');
  expectProblem(
    await app.request('PATCH', `${API}/doctors/me`, { token: (await createAdminUser(app)).token, body: { bio: 'x' } }),
    403,
    'FORBIDDEN',
  );
  expectProblem(await app.request('GET', `${API}/doctors/me`), 401, 'UNAUTHENTICATED');
});

test('profile updates are validated (400) and change nothing', async () => {
  const bad: unknown[] = [
    {},
    { timezone: 'Mars/Olympus' },
    { timezone: 'Europe/Berlin ' },
    { slotMinutes: 4 },
    { slotMinutes: '30' },
    { autoConfirm: 'yes' },
    { specialization: '' },
    { bio: 'x'.repeat(5001) },
    { licenseNumber: 'NEW' },
    { verificationStatus: 'VERIFIED' },
    { maxAdvanceDays: 0 },
    { minNoticeMinutes: -1 },
  ];
  for (const body of bad)
    expectProblem(await app.request('PATCH', `${API}/doctors/me`, { token: neuro.token, body }), 400, 'VALIDATION_FAILED');
  expectProblem(await app.request('PATCH', `${API}/doctors/me`, { token: neuro.token, rawBody: '{bio:1}' }), 400, 'VALIDATION_FAILED');
  const me = await app.request('GET', `${API}/doctors/me`, { token: neuro.token });
  assert.equal(me.body.timezone, 'Europe/Berlin');
  assert.equal(me.body.verificationStatus, 'VERIFIED');
});

test('weekly availability is replaced as a whole and read back', async () => {
  const weekly = [
    { weekday: 1, start: '09:00', end: '12:00' },
    { weekday: 1, start: '13:00', end: '17:30' },
    { weekday: 7, start: '20:00', end: '24:00' },
  ];
  const put = await app.request('PUT', `${API}/doctors/me/availability`, {
    token: neuro.token,
    body: { weekly, slotMinutes: 20, minNoticeMinutes: 30, maxAdvanceDays: 14 },
  });
  assert.equal(put.status, 200, put.text);
  const got = await app.request('GET', `${API}/doctors/me/availability`, { token: neuro.token });
  assert.deepEqual(got.body, { timezone: 'Europe/Berlin', slotMinutes: 20, weekly, minNoticeMinutes: 30, maxAdvanceDays: 14 });
  const cleared = await app.request('PUT', `${API}/doctors/me/availability`, { token: neuro.token, body: { weekly: [] } });
  assert.deepEqual(cleared.body.weekly, []);
  assert.equal(cleared.body.slotMinutes, 20);
  expectProblem(await app.request('GET', `${API}/doctors/me/availability`, { token: (await createPatient(app)).token }), 403, 'FORBIDDEN');
});

test('availability bodies are validated (400)', async () => {
  const r = (weekday: unknown, start: unknown, end: unknown) => ({ weekly: [{ weekday, start, end }] });
  const bad: unknown[] = [
    {},
    { weekly: 'Mon' },
    r(0, '09:00', '10:00'),
    r(8, '09:00', '10:00'),
    r(1, '9:00', '10:00'),
    r(1, '09:00', '24:01'),
    r(1, '24:00', '24:00'),
    r(1, '10:00', '09:00'),
    r(1, '10:00', '10:00'),
    r(1, '09:60', '10:00'),
    {
      weekly: [
        { weekday: 1, start: '09:00', end: '12:00' },
        { weekday: 1, start: '11:00', end: '13:00' },
      ],
    },
    { weekly: [{ weekday: 1, start: '09:00', end: '12:00', note: 'x' }] },
    { weekly: [], timezone: 'Nowhere/City' },
    { weekly: [], extra: 1 },
  ];
  for (const body of bad)
    expectProblem(await app.request('PUT', `${API}/doctors/me/availability`, { token: neuro.token, body }), 400, 'VALIDATION_FAILED');
});

test('time off is created, listed, and deleted only by its doctor', async () => {
  const body = { startsAt: '2027-02-01T00:00:00Z', endsAt: '2027-02-08T00:00:00Z', reason: 'Vacation' };
  const created = await app.request('POST', `${API}/doctors/me/time-off`, { token: neuro.token, body });
  assert.equal(created.status, 201);
  assert.equal(created.body.reason, 'Vacation');
  const listed = await app.request('GET', `${API}/doctors/me/time-off`, { token: neuro.token });
  assert.deepEqual(
    listed.body.items.map((t: { id: string }) => t.id),
    [created.body.id],
  );
  assert.deepEqual((await app.request('GET', `${API}/doctors/me/time-off`, { token: cardio.token })).body.items, []);
  assert.deepEqual(
    (await app.request('GET', `${API}/doctors/me/time-off?from=2027-03-01T00:00:00Z`, { token: neuro.token })).body.items,
    [],
  );
  expectProblem(await app.request('DELETE', `${API}/doctors/me/time-off/${created.body.id}`, { token: cardio.token }), 404, 'NOT_FOUND');
  expectProblem(await app.request('DELETE', `${API}/doctors/me/time-off/nope`, { token: neuro.token }), 400, 'VALIDATION_FAILED');
  expectProblem(
    await app.request('DELETE', `${API}/doctors/me/time-off/${created.body.id}`, { token: (await createPatient(app)).token }),
    403,
    'FORBIDDEN',
  );
  assert.equal((await app.request('DELETE', `${API}/doctors/me/time-off/${created.body.id}`, { token: neuro.token })).status, 204);
  expectProblem(await app.request('DELETE', `${API}/doctors/me/time-off/${created.body.id}`, { token: neuro.token }), 404, 'NOT_FOUND');
});

test('time-off bodies are validated (400)', async () => {
  const bad: unknown[] = [
    {},
    { startsAt: '2027-02-01T00:00:00Z' },
    { startsAt: '2027-02-02T00:00:00Z', endsAt: '2027-02-01T00:00:00Z' },
    { startsAt: '2027-02-01T00:00:00Z', endsAt: '2028-02-03T00:00:00Z' },
    { startsAt: 'monday', endsAt: '2027-02-01T00:00:00Z' },
    { startsAt: '2027-02-01T00:00:00Z', endsAt: '2027-02-02T00:00:00Z', reason: 'x'.repeat(501) },
    { startsAt: '2027-02-01T00:00:00Z', endsAt: '2027-02-02T00:00:00Z', all: true },
  ];
  for (const body of bad)
    expectProblem(await app.request('POST', `${API}/doctors/me/time-off`, { token: neuro.token, body }), 400, 'VALIDATION_FAILED');
  expectProblem(await app.request('POST', `${API}/doctors/me/time-off`, { token: neuro.token, rawBody: '[' }), 400, 'VALIDATION_FAILED');
});

test('my patients are those in a care relationship (not a cancelled-only one); each listing is audited', async () => {
  const [kept, done, gone] = [await createPatient(app), await createPatient(app), await createPatient(app)];
  await appointmentFixture(app, { doctorId: cardio.id, patientId: kept.id, status: 'PENDING' });
  await appointmentFixture(app, { doctorId: cardio.id, patientId: kept.id, status: 'COMPLETED' });
  await appointmentFixture(app, { doctorId: cardio.id, patientId: done.id, status: 'NO_SHOW' });
  await appointmentFixture(app, { doctorId: cardio.id, patientId: gone.id, status: 'CANCELLED' });
  const res = await app.request('GET', `${API}/doctors/me/patients`, { token: cardio.token });
  assert.equal(res.status, 200);
  assert.deepEqual(new Set(res.body.items.map((p: { id: string }) => p.id)), new Set([kept.id, done.id]));
  assert.equal(res.body.items[0].medicalHistory, undefined);
  const audits = await app.database.rows<{ patient_id: string }>(
    sql`SELECT patient_id FROM audit_events WHERE action = 'patient.list' AND actor_id = ${cardio.id}`,
  );
  assert.deepEqual(new Set(audits.map((a) => a.patient_id)), new Set([kept.id, done.id]));
  assert.deepEqual((await app.request('GET', `${API}/doctors/me/patients`, { token: neuro.token })).body.items, []);
  expectProblem(await app.request('GET', `${API}/doctors/me/patients`, { token: kept.token }), 403, 'FORBIDDEN');
  expectProblem(await app.request('GET', `${API}/doctors/me/patients?limit=1000`, { token: cardio.token }), 400, 'VALIDATION_FAILED');
});
