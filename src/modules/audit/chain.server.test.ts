// Server engine only: two instances of the API on one PostgreSQL database append audit events at the
// same time, both running a sequencer, and several connections append in concurrent transactions; the
// sequencers still build one chain, in one total order, without forks or gaps, and a sequencer that dies
// mid-batch leaves nothing behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { appointmentFixture, build, createDoctor, createPatient, PASSWORD } from '../../../test/helpers.ts';
import { verifyChain } from './chain.ts';
import { chained } from '../../../test/fixtures/audit.ts';
import type { Database } from '../../platform/db/index.ts';
import { createScratchDatabase } from '../../platform/db/scratch.ts';

/** Every event has exactly one link, positions run 1..n without a gap, and no two links share a predecessor. */
async function assertOneChain(db: Database) {
  const [c] = await db.rows<{ events: number; links: number; linked: number; prevs: number; max: number }>(sql`
    SELECT (SELECT count(*)::int FROM audit_events) AS events, count(*)::int AS links, count(DISTINCT event_id)::int AS linked,
           count(DISTINCT prev_hash)::int AS prevs, coalesce(max(chain_seq), 0)::int AS max
    FROM audit_chain`);
  assert.deepEqual(c, { events: c.events, links: c.events, linked: c.events, prevs: c.events, max: c.events });
  const [order] = await db.rows<{ bad: number }>(sql`
    SELECT count(*)::int AS bad FROM (
      SELECT prev_hash, lag(hash) OVER (ORDER BY chain_seq) AS previous FROM audit_chain
    ) x WHERE previous IS NOT NULL AND previous <> prev_hash`);
  assert.equal(order.bad, 0);
}

test('two instances writing audit events at once, each running a sequencer, leave one chain: no fork, no gap', async (t) => {
  // Sequencer passes every 5 ms on both instances: they contend for the role all through the load.
  const a = await build(t, { auditChainIntervalMs: 5, auditChainBatch: 7 });
  const b = await build(t, { auditChainIntervalMs: 5, auditChainBatch: 7 }, { databaseUrl: a.databaseUrl! });
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
  await chained(a);
  await chained(b);

  const after = (await a.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM audit_events`))[0].n;
  assert.ok(after - before >= N, `${after - before} events for ${N} requests`);

  const result = await verifyChain(b.database);
  assert.equal(result.ok, true, JSON.stringify(result.broken));
  assert.equal(result.count, after);
  assert.equal(result.pending, 0);
  await assertOneChain(a.database);
});

test('a sequencer that dies mid-batch holds the role until its connection goes; then another instance chains everything, once', async (t) => {
  const app = await build(t, { auditSequencer: false, auditChainBatch: 2 });
  await createPatient(app);
  await createPatient(app);
  const events = (await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM audit_events`))[0].n;
  assert.ok(events > 3, `${events} events`);

  const doomed = new pg.Client({ connectionString: app.databaseUrl! });
  await doomed.connect();
  doomed.on('error', () => undefined); // its end is the point of the test
  await doomed.query('BEGIN');
  assert.equal((await doomed.query('SELECT audit_chain_batch(3) AS n')).rows[0].n, 3);
  const pid = (await doomed.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;

  // While the batch is open, the other instance's pass finds the role taken and chains nothing.
  assert.deepEqual(await app.app.platform.auditChain.runOnce(), { chained: 0, held: false });

  // The sequencer's process dies: the server ends its session, the batch rolls back, the lock is released.
  await app.database.rows(sql`SELECT pg_terminate_backend(${pid})`);
  await assert.rejects(doomed.query('COMMIT'));
  await doomed.end().catch(() => undefined);

  await chained(app);
  const result = await verifyChain(app.database);
  assert.equal(result.ok, true, JSON.stringify(result.broken));
  assert.equal(result.count, events);
  await assertOneChain(app.database);
});

const TXS = 15;

async function writeConcurrently(clients: pg.Client[]) {
  // Every writer runs its transactions back to back, all writers at once: three events each, every
  // fifth transaction rolled back after writing (its events must never be chained).
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
  // The sequencer runs all through the writes, every 5 ms.
  const app = await build(t, { auditChainIntervalMs: 5 });
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

  await chained(app);
  const result = await verifyChain(app.database);
  assert.equal(result.ok, true, JSON.stringify(result.broken));
  const rows = await app.database.rows<{ request_id: string }>(sql`
    SELECT e.request_id FROM audit_chain c JOIN audit_events e ON e.id = c.event_id
    WHERE e.action = 'test.concurrent' ORDER BY c.chain_seq`);
  const committed = WRITERS * TXS * 3 - WRITERS * Math.floor(TXS / 5) * 3;
  assert.equal(rows.length, committed);
  assert.ok(!rows.some((r) => /-t(4|9|14)-/.test(r.request_id)), 'rolled-back events are not in the chain');
  // The chain is ordered by transaction id, so each transaction's events are adjacent in it.
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
  await assertOneChain(app.database);
});

test("another database's long write on the same server does not hold this database's chain back; one of its own does", async (t) => {
  const app = await build(t, { auditSequencer: false });
  // A transaction with an id, left open, in another database of the same PostgreSQL server.
  const other = await createScratchDatabase(process.env.TEST_DATABASE_URL!, 'tc_other');
  t.after(other.drop);
  const elsewhere = new pg.Client({ connectionString: other.url });
  await elsewhere.connect();
  elsewhere.on('error', () => undefined); // a failed test's clean-up drops its database under it
  t.after(() => elsewhere.end());
  await elsewhere.query('BEGIN');
  await elsewhere.query('SELECT pg_current_xact_id()');

  await createPatient(app);
  await chained(app); // would time out if the other database's transaction counted
  const events = (await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM audit_events`))[0].n;
  assert.equal((await verifyChain(app.database)).count, events);

  // The same open transaction in this database holds back every event that comes after it, until it ends.
  const here = new pg.Client({ connectionString: app.databaseUrl! });
  await here.connect();
  here.on('error', () => undefined);
  t.after(() => here.end());
  await here.query('BEGIN');
  await here.query('SELECT pg_current_xact_id()');
  await createPatient(app);
  assert.deepEqual(await app.app.platform.auditChain.runOnce(), { chained: 0, held: true });
  await here.query('COMMIT');
  await chained(app);
  const after = (await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM audit_events`))[0].n;
  assert.ok(after > events);
  const result = await verifyChain(app.database);
  assert.equal(result.ok, true, JSON.stringify(result.broken));
  assert.equal(result.count, after);
  await assertOneChain(app.database);
  await elsewhere.query('ROLLBACK');
});
