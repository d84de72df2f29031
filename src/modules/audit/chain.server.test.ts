// Server engine only: two instances of the API on one PostgreSQL database append audit events at the
// same time; the database still builds one chain, in one total order, without forks or gaps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { appointmentFixture, build, createDoctor, createPatient, PASSWORD } from '../../../test/helpers.ts';
import { verifyChain } from './chain.ts';

test('two instances writing audit events at once leave one valid chain in seq order', async (t) => {
  const a = await build(t);
  const b = await build(t, {}, { databaseUrl: a.databaseUrl! });
  const doctor = await createDoctor(a);
  const patient = await createPatient(b);
  await appointmentFixture(a, { doctorId: doctor.id, patientId: patient.id, status: 'CONFIRMED' });
  const before = (await a.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM audit_events`))[0].n;

  // 120 audited requests at once, half on each instance: reads of the patient by the doctor, the
  // patient's own reads and profile changes, failed logins (which audit in their own transaction).
  const N = 120;
  const calls = Array.from({ length: N }, (_, i) => {
    const inst = i % 2 ? b : a;
    switch (i % 4) {
      case 0:
        return inst.request('GET', `/api/v1/patients/${patient.id}`, { token: doctor.token });
      case 1:
        return inst.request('GET', '/api/v1/patients/me', { token: patient.token });
      case 2:
        return inst.request('PATCH', '/api/v1/patients/me', { token: patient.token, body: { medicalHistory: `note ${i}` } });
      default:
        return inst.request('POST', '/api/v1/auth/login', { body: { login: `nobody${i}`, password: PASSWORD } });
    }
  });
  const results = await Promise.all(calls);
  for (const r of results) assert.ok(r.status === 200 || r.status === 401, r.text);

  const after = (await a.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM audit_events`))[0].n;
  assert.ok(after - before >= N, `${after - before} events for ${N} requests`);

  const result = await verifyChain(b.database);
  assert.equal(result.ok, true, JSON.stringify(result.broken));
  assert.equal(result.count, after);
  // No fork: every event has its own predecessor, and the chain order is the seq order.
  const [forks] = await a.database.rows<{ n: number; distinct_prev: number }>(sql`
    SELECT count(*)::int AS n, count(DISTINCT prev_hash)::int AS distinct_prev FROM audit_events`);
  assert.equal(forks.distinct_prev, forks.n);
  const [order] = await a.database.rows<{ bad: number }>(sql`
    SELECT count(*)::int AS bad FROM (
      SELECT prev_hash, lag(hash) OVER (ORDER BY seq) AS previous FROM audit_events
    ) x WHERE previous IS NOT NULL AND previous <> prev_hash`);
  assert.equal(order.bad, 0);
});
