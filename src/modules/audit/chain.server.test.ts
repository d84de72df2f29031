// Server engine only: two instances of the API on one PostgreSQL database append audit events at the
// same time, and several connections append in concurrent transactions; the database still builds one
// chain, in one total order, without forks or gaps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import pg from 'pg';
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

const TXS = 15;

async function writeConcurrently(clients: pg.Client[]) {
  // Every writer runs its transactions back to back, all writers at once: three events each, every
  // fifth transaction rolled back after writing (its events and its move of the chain head must vanish).
  return Promise.all(
    clients.map(async (c, w) => {
      for (let i = 0; i < TXS; i++) {
        await c.query('BEGIN');
        for (let e = 0; e < 3; e++) {
          await c.query(
            `INSERT INTO audit_events (action, resource_type, outcome, request_id) VALUES ('test.concurrent', 'test', 'SUCCESS', $1)`,
            [`w${w}-t${i}-e${e}`],
          );
        }
        await c.query(i % 5 === 4 ? 'ROLLBACK' : 'COMMIT');
      }
    }),
  );
}

test('several connections appending in concurrent transactions, some rolled back, leave one chain: each transaction contiguous, none forked', async (t) => {
  const app = await build(t);
  const WRITERS = 6;
  const clients = await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      const c = new pg.Client({ connectionString: app.databaseUrl! });
      await c.connect();
      return c;
    }),
  );
  // Closed in the test itself: the database is dropped (its connections terminated) by build's own after hook.
  try {
    await writeConcurrently(clients);
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }

  const result = await verifyChain(app.database);
  assert.equal(result.ok, true, JSON.stringify(result.broken));
  const rows = await app.database.rows<{ request_id: string }>(
    sql`SELECT request_id FROM audit_events WHERE action = 'test.concurrent' ORDER BY audit_events.seq`,
  );
  const committed = WRITERS * TXS * 3 - WRITERS * Math.floor(TXS / 5) * 3;
  assert.equal(rows.length, committed);
  assert.ok(!rows.some((r) => /-t(4|9|14)-/.test(r.request_id)), 'rolled-back events are not in the chain');
  // The head row is locked from a transaction's first event to its commit, so its events are adjacent in the chain.
  const txOf = (r: { request_id: string }) => r.request_id.replace(/-e\d$/, '');
  for (let i = 0; i < rows.length; i += 3) {
    assert.deepEqual(
      rows.slice(i, i + 3).map((r) => r.request_id),
      [0, 1, 2].map((e) => `${txOf(rows[i])}-e${e}`),
      `transaction ${txOf(rows[i])} is contiguous`,
    );
  }
  // The writers did overlap: the chain passes from one writer to another and back many times.
  const writerOf = (r: { request_id: string }) => r.request_id.split('-')[0];
  const switches = rows.filter((r, i) => i > 0 && writerOf(r) !== writerOf(rows[i - 1])).length;
  assert.ok(switches >= WRITERS, `${switches} hand-overs between writers`);
});
