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

const count = async (patientId: string) =>
  (await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM appointments WHERE patient_id = ${patientId}`))[0].n;

test('the same Idempotency-Key and body replays the first 201 without a second appointment', async () => {
  const d = await workingDoctor(app);
  const p = await createPatient(app);
  const headers = { 'idempotency-key': 'book-1' };
  const first = await book(app, p, d.id, '2027-01-05T09:00:00.000Z', { reason: 'Checkup' }, headers);
  assert.equal(first.status, 201);
  assert.equal(first.headers.get('idempotent-replayed'), null);
  // Same JSON value with its keys in another order is the same request.
  const again = await app.request('POST', '/api/v1/appointments', {
    token: p.token,
    headers,
    body: { reason: 'Checkup', startsAt: '2027-01-05T09:00:00.000Z', doctorId: d.id },
  });
  assert.equal(again.status, 201);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(again.body, first.body);
  assert.equal(await count(p.id), 1);
});

test('the replay is the first response even after the appointment changed', async () => {
  const d = await workingDoctor(app);
  const p = await createPatient(app);
  const headers = { 'idempotency-key': 'book-2' };
  const first = await book(app, p, d.id, '2027-01-05T10:00:00.000Z', {}, headers);
  await app.request('POST', `/api/v1/appointments/${first.body.id}/confirm`, { token: d.token });
  const again = await book(app, p, d.id, '2027-01-05T10:00:00.000Z', {}, headers);
  assert.equal(again.status, 201);
  assert.equal(again.body.status, 'PENDING');
  assert.equal(again.body.id, first.body.id);
});

test('the same key with another body is 422 IDEMPOTENCY_KEY_REUSED and books nothing', async () => {
  const d = await workingDoctor(app);
  const p = await createPatient(app);
  const headers = { 'idempotency-key': 'book-3' };
  assert.equal((await book(app, p, d.id, '2027-01-05T11:00:00.000Z', {}, headers)).status, 201);
  expectProblem(await book(app, p, d.id, '2027-01-05T11:30:00.000Z', {}, headers), 422, 'IDEMPOTENCY_KEY_REUSED');
  expectProblem(await book(app, p, d.id, '2027-01-05T11:00:00.000Z', { reason: 'other' }, headers), 422, 'IDEMPOTENCY_KEY_REUSED');
  assert.equal(await count(p.id), 1);
});

test('keys belong to one user: another patient using the same key books independently', async () => {
  const d = await workingDoctor(app);
  const [a, b] = [await createPatient(app), await createPatient(app)];
  const headers = { 'idempotency-key': 'shared-key' };
  assert.equal((await book(app, a, d.id, '2027-01-05T12:00:00.000Z', {}, headers)).status, 201);
  const other = await book(app, b, d.id, '2027-01-05T12:30:00.000Z', {}, headers);
  assert.equal(other.status, 201);
  assert.equal(other.headers.get('idempotent-replayed'), null);
});

test('a failed attempt is not remembered: the same key may be retried once the slot is free', async () => {
  const d = await workingDoctor(app);
  const [holder, p] = [await createPatient(app), await createPatient(app)];
  const taken = await book(app, holder, d.id, '2027-01-05T13:00:00.000Z');
  const headers = { 'idempotency-key': 'retry-me' };
  expectProblem(await book(app, p, d.id, '2027-01-05T13:00:00.000Z', {}, headers), 409, 'SLOT_UNAVAILABLE');
  await app.request('POST', `/api/v1/appointments/${taken.body.id}/cancel`, { token: holder.token });
  assert.equal((await book(app, p, d.id, '2027-01-05T13:00:00.000Z', {}, headers)).status, 201);
});

test('keys expire after 24 hours: an expired key books again', async () => {
  const d = await workingDoctor(app);
  const p = await createPatient(app);
  const headers = { 'idempotency-key': 'old-key' };
  const first = await book(app, p, d.id, '2027-01-05T14:00:00.000Z', {}, headers);
  const [row] = await app.database.rows<{ hours: number }>(
    sql`SELECT round(extract(epoch FROM expires_at - created_at) / 3600)::int AS hours FROM idempotency_keys WHERE user_id = ${p.id}`,
  );
  assert.equal(row.hours, 24);
  await app.database.rows(sql`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE user_id = ${p.id}`);
  const fresh = await book(app, p, d.id, '2027-01-05T15:00:00.000Z', {}, headers);
  assert.equal(fresh.status, 201);
  assert.notEqual(fresh.body.id, first.body.id);
  assert.equal(await count(p.id), 2);
});

test('ten concurrent requests with one key and body create one appointment and all answer it', async () => {
  const d = await workingDoctor(app);
  const p = await createPatient(app);
  const headers = { 'idempotency-key': 'burst' };
  const results = await Promise.all(Array.from({ length: 10 }, () => book(app, p, d.id, '2027-01-05T15:30:00.000Z', {}, headers)));
  assert.deepEqual(
    results.map((r) => r.status),
    Array(10).fill(201),
  );
  assert.equal(new Set(results.map((r) => r.body.id)).size, 1);
  assert.equal(await count(p.id), 1);
});
