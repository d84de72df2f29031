// Presence lives in the database and is kept by each instance's heartbeat: participants of a dead
// instance disappear, visits that close or are cancelled during the call end, a stopping instance
// takes its participants out at once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { build, freshDatabase, type TestApp } from '../../../test/helpers.ts';
import { pinClock } from '../../platform/clock.ts';
import { connect, isVisit, join, joinBoth, nextAfter, settled, visitFixture } from '../../../test/fixtures/visits.ts';

// A fast heartbeat, so a sweep follows each change within a fraction of a second.
let app: TestApp;
before(async () => {
  app = await build(undefined, { visitHeartbeatMs: 200, visitWaitingRoom: false });
});
after(async () => {
  await app.close();
});

async function visitEvents(t: TestApp, id: string) {
  return t.database.rows<Record<string, any>>(sql`
    SELECT action, actor_id, actor_role, patient_id, ip, request_id FROM audit_events
    WHERE resource_id = ${id} AND action IN ('visit.join', 'visit.leave') ORDER BY seq`);
}

test('a participant whose instance stopped refreshing presence is gone: peerPresent false, the peer gets peer-left (disconnected), audited', async () => {
  const v = await visitFixture(app);
  // The doctor joined through another instance, which then died: nobody refreshes the row any more.
  await app.database.rows(sql`
    INSERT INTO visit_presence (appointment_id, user_id, connection_id, instance_id, heartbeat_at)
    VALUES (${v.id}, ${v.doctor.id}, ${randomUUID()}, ${randomUUID()}, now() + interval '1 hour')`);
  assert.equal((await app.request('GET', `/api/v1/appointments/${v.id}/visit`, { token: v.patient.token })).body.peerPresent, true);
  const p = await connect(app, v.patient);
  const mark = p.frames.length;
  assert.equal((await join(p, v.id)).peerPresent, true);
  assert.equal((await nextAfter(p, mark, (f) => f.type === 'visit.peer-joined')).peer.id, v.doctor.id);

  await app.database.rows(sql`UPDATE visit_presence SET heartbeat_at = now() - interval '1 hour' WHERE user_id = ${v.doctor.id}`);
  assert.deepEqual(await nextAfter(p, mark, (f) => f.type === 'visit.peer-left'), {
    type: 'visit.peer-left',
    appointmentId: v.id,
    peerId: v.doctor.id,
    reason: 'disconnected',
  });
  assert.equal((await app.request('GET', `/api/v1/appointments/${v.id}/visit`, { token: v.patient.token })).body.peerPresent, false);
  const events = await visitEvents(app, v.id);
  assert.deepEqual(
    events.map((e) => [e.action, e.actor_id, e.actor_role, e.patient_id, e.request_id]),
    [
      ['visit.join', v.patient.id, 'PATIENT', v.patient.id, events[0].request_id],
      ['visit.leave', v.doctor.id, 'DOCTOR', v.patient.id, 'visit-presence'],
    ],
  );
  // The patient's own socket is refreshed by this instance and stays in the visit.
  const [stillThere] = await app.database.rows<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM visit_presence WHERE appointment_id = ${v.id} AND user_id = ${v.patient.id}`,
  );
  assert.equal(stillThere.n, 1);
});

test('when the window closes during the call both participants get VISIT_NOT_OPEN and are out', async () => {
  const v = await visitFixture(app);
  const [p, d] = await Promise.all([connect(app, v.patient), connect(app, v.doctor)]);
  await joinBoth(p, d, v.id);
  const [pm, dm] = [p.frames.length, d.frames.length];
  pinClock(app.app.platform, new Date(v.endsAt.getTime() + 30 * 60_000));
  for (const [c, m] of [
    [p, pm],
    [d, dm],
  ] as const) {
    assert.deepEqual(await nextAfter(c, m, isVisit), {
      type: 'visit.error',
      appointmentId: v.id,
      code: 'VISIT_NOT_OPEN',
      detail: 'The visit has closed',
    });
  }
  const [left] = await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM visit_presence WHERE appointment_id = ${v.id}`);
  assert.equal(left.n, 0);
  const leaves = (await visitEvents(app, v.id)).filter((e) => e.action === 'visit.leave');
  assert.deepEqual(leaves.map((e) => e.actor_id).sort(), [v.doctor.id, v.patient.id].sort());
  assert.equal((await join(p, v.id)).code, 'VISIT_NOT_OPEN');
});

test('a call whose appointment is cancelled meanwhile ends for both with VISIT_NOT_OPEN', async () => {
  const v = await visitFixture(app);
  const [p, d] = await Promise.all([connect(app, v.patient), connect(app, v.doctor)]);
  await joinBoth(p, d, v.id);
  const [pm, dm] = [p.frames.length, d.frames.length];
  const cancel = await app.request('POST', `/api/v1/appointments/${v.id}/cancel`, { token: v.doctor.token, body: { reason: 'Emergency' } });
  assert.equal(cancel.status, 200, cancel.text);
  for (const [c, m] of [
    [p, pm],
    [d, dm],
  ] as const)
    assert.equal((await nextAfter(c, m, isVisit)).code, 'VISIT_NOT_OPEN');
  assert.equal((await app.request('GET', `/api/v1/appointments/${v.id}/visit`, { token: v.patient.token })).body.code, 'VISIT_NOT_OPEN');
});

test('an instance that shuts down takes its participants out of their visits at once, audited', async (t) => {
  const db = await freshDatabase();
  t.after(async () => {
    await db.database.close();
    await db.drop();
  });
  const one = await build(t, { visitWaitingRoom: false }, { database: db.database });
  const v = await visitFixture(one);
  const [p, d] = await Promise.all([connect(one, v.patient), connect(one, v.doctor)]);
  await joinBoth(p, d, v.id);
  await one.close();
  assert.equal((await p.closed).code, 1001);
  const [left] = await db.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM visit_presence`);
  assert.equal(left.n, 0);
  const leaves = (await visitEvents(one, v.id)).filter((e) => e.action === 'visit.leave');
  assert.deepEqual(leaves.map((e) => e.actor_id).sort(), [v.doctor.id, v.patient.id].sort());
});

test("every socket of the other party hears that a participant entered or left the visit (the agenda's 'patient waiting')", async () => {
  const v = await visitFixture(app);
  // The doctor's agenda tab: connected, not in the visit.
  const agenda = await connect(app, v.doctor);
  const p = await connect(app, v.patient);
  const mark = agenda.frames.length;
  const pMark = p.frames.length;
  assert.equal((await join(p, v.id)).type, 'visit.joined');
  assert.deepEqual(await nextAfter(agenda, mark, (f) => f.type === 'visit.presence'), {
    type: 'visit.presence',
    appointmentId: v.id,
    userId: v.patient.id,
    present: true,
  });
  p.ws.send(JSON.stringify({ type: 'visit.leave', appointmentId: v.id }));
  assert.deepEqual(await nextAfter(agenda, mark, (f) => f.type === 'visit.presence' && !f.present), {
    type: 'visit.presence',
    appointmentId: v.id,
    userId: v.patient.id,
    present: false,
  });
  // The patient is not told of their own presence.
  const [patientFrames] = await settled(app, [[p, v.patient.id, pMark]]);
  assert.deepEqual(
    patientFrames.map((f) => f.type),
    ['visit.joined', 'visit.left'],
  );
  agenda.ws.close();
  p.ws.close();
});
