// Server engine only (npm test runs *.server.test.ts with TEST_DATABASE_URL): the embedded
// engine cannot be shared by two instances.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { build, connectWs } from '../../../test/helpers.ts';
import { care as pair } from '../../../test/fixtures/care.ts';

test('two server instances on one PostgreSQL database: a message sent through A reaches a socket on B', async (t) => {
  const a = await build(t);
  // Instances of one deployment share the signing secret, so a token from A works on B.
  const b = await build(t, { jwtSecret: a.config.jwtSecret }, { databaseUrl: a.databaseUrl! });
  const { doctor, patient } = await pair(a);
  const onB = await connectWs(b, doctor.token);
  const small = await a.request('POST', `/api/v1/conversations/${doctor.id}/messages`, { token: patient.token, body: { body: 'via A' } });
  assert.equal(small.status, 201);
  assert.deepEqual((await onB.next((f) => f.message?.id === small.body.id)).message, small.body);
  // 5,000 four-byte characters exceed a NOTIFY payload: the event travels by reference.
  const large = await a.request('POST', `/api/v1/conversations/${doctor.id}/messages`, {
    token: patient.token,
    body: { body: '🫀'.repeat(5000) },
  });
  assert.equal(large.status, 201);
  assert.deepEqual((await onB.next((f) => f.message?.id === large.body.id)).message, large.body);
  const spilled = await a.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM realtime_events`);
  assert.equal(spilled[0].n, 1);
  // Published in a transaction (as a booking does): stored by reference with the commit, delivered on B.
  const inTx = { ...large.body, id: randomUUID() };
  const deliver = await a.database.db.transaction((tx) =>
    a.app.platform.bus.publishIn(tx, [doctor.id], { type: 'message.created', message: inTx }),
  );
  deliver();
  assert.deepEqual((await onB.next((f) => f.message?.id === inTx.id)).message, inTx);
  const both = await a.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM realtime_events`);
  assert.equal(both[0].n, 2);
  // And back: a read receipt made on B reaches the patient's socket on A.
  const onA = await connectWs(a, patient.token);
  assert.equal(
    (await b.request('POST', `/api/v1/conversations/${patient.id}/read`, { token: doctor.token, body: { upTo: large.body.id } })).status,
    204,
  );
  assert.equal((await onA.next((f) => f.type === 'message.read')).count, 2);

  // The LISTEN connections drop (server restart, failover): the instances reconnect and fan out again.
  const killed = await a.database.rows<{ ok: boolean }>(sql`
    SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
    WHERE datname = current_database() AND query ILIKE 'LISTEN %' AND pid <> pg_backend_pid()`);
  assert.equal(killed.length, 2);
  let delivered = false;
  for (let i = 0; i < 40 && !delivered; i++) {
    const res = await a.request('POST', `/api/v1/conversations/${doctor.id}/messages`, {
      token: patient.token,
      body: { body: `after reconnect ${i}` },
    });
    delivered = await onB
      .next((f) => f.message?.id === res.body.id, 250)
      .then(
        () => true,
        () => false,
      );
  }
  assert.ok(delivered, 'delivery across instances resumes after the LISTEN connection is re-established');
});
