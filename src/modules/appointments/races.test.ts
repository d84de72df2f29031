import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { build, createPatient, expectProblem, type TestApp } from '../../../test/helpers.ts';
import { book, pinNow, workingDoctor } from '../../../test/fixtures/booking.ts';

let app: TestApp;
before(async () => {
  app = await build();
  pinNow(app, '2027-01-04T07:00:00.000Z');
});
after(async () => {
  await app.close();
});

const SLOT = '2027-01-05T09:00:00.000Z';

/** Creates people a few at a time: 40 registrations at once can outrun the mail wait of the helpers on a busy machine. */
async function inBatches<T>(n: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i += 8) out.push(...(await Promise.all(Array.from({ length: Math.min(8, n - i) }, (_, j) => make(i + j)))));
  return out;
}

test('40 patients racing for one slot: exactly one 201, thirty-nine 409 SLOT_UNAVAILABLE, never a 500', async () => {
  const d = await workingDoctor(app);
  const patients = await inBatches(40, () => createPatient(app));
  const results = await Promise.all(patients.map((p) => book(app, p, d.id, SLOT)));
  assert.deepEqual(results.map((r) => r.status).sort(), [201, ...Array(39).fill(409)]);
  for (const r of results.filter((x) => x.status === 409)) expectProblem(r, 409, 'SLOT_UNAVAILABLE');
  const rows = await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM appointments WHERE doctor_id = ${d.id}`);
  assert.equal(rows[0].n, 1);
});

test('one patient booking 40 doctors at overlapping times at once: exactly one 201', async () => {
  const p = await createPatient(app);
  // Alternate 30- and 60-minute doctors so the contested times overlap without being identical.
  const doctors = await inBatches(40, (i) => workingDoctor(app, { settings: { slotMinutes: i % 2 ? 60 : 30 } }));
  const starts = doctors.map((_, i) => (i % 2 ? '2027-01-05T12:00:00.000Z' : '2027-01-05T12:30:00.000Z'));
  const results = await Promise.all(doctors.map((d, i) => book(app, p, d.id, starts[i])));
  assert.deepEqual(results.map((r) => r.status).sort(), [201, ...Array(39).fill(409)]);
  for (const r of results.filter((x) => x.status === 409)) expectProblem(r, 409, 'SLOT_UNAVAILABLE');
  const rows = await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM appointments WHERE patient_id = ${p.id}`);
  assert.equal(rows[0].n, 1);
});

test('two reschedules racing for the same free slot: one wins, the other keeps its old slot', async () => {
  const d = await workingDoctor(app);
  const [a, b] = [await createPatient(app), await createPatient(app)];
  const ra = await book(app, a, d.id, '2027-01-05T10:00:00.000Z');
  const rb = await book(app, b, d.id, '2027-01-05T11:00:00.000Z');
  const moves = await Promise.all([
    app.request('POST', `/api/v1/appointments/${ra.body.id}/reschedule`, {
      token: a.token,
      body: { startsAt: '2027-01-05T14:00:00.000Z' },
    }),
    app.request('POST', `/api/v1/appointments/${rb.body.id}/reschedule`, {
      token: b.token,
      body: { startsAt: '2027-01-05T14:00:00.000Z' },
    }),
  ]);
  assert.deepEqual(moves.map((m) => m.status).sort(), [200, 409]);
  const rows = await app.database.rows<{ starts_at: Date }>(
    sql`SELECT starts_at FROM appointments WHERE doctor_id = ${d.id} ORDER BY starts_at`,
  );
  const starts = rows.map((r) => new Date(r.starts_at).toISOString());
  assert.equal(starts.length, 2);
  assert.ok(starts.includes('2027-01-05T14:00:00.000Z'));
  assert.ok(starts.includes('2027-01-05T10:00:00.000Z') || starts.includes('2027-01-05T11:00:00.000Z'));
});
