// Server engine only: two instances on one PostgreSQL database, the patient on one, the doctor on the
// other. Presence, relay, rejoin and shutdown all cross instances through the database and LISTEN/NOTIFY.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { build, connectWs, createPatient, type TestApp, type WsClient } from '../../../test/helpers.ts';
import { pinClock } from '../../platform/clock.ts';
import { countAfter, isVisit, join, nextAfter, send, settled, visitFixture } from '../../../test/fixtures/visits.ts';

/** Frames each socket got after its mark, once markers from both instances reached it (a relay may come from either). */
async function settledOnBoth(a: TestApp, b: TestApp, clients: [WsClient, string, number][]): Promise<any[][]> {
  await settled(a, clients);
  return (await settled(b, clients)).map((frames) => frames.filter(isVisit));
}

test("two instances: presence, signals relayed only to the peer's socket on the other instance, rejoin across instances, shutdown", async (t) => {
  const a = await build(t, { visitWaitingRoom: false });
  const b = await build(t, { visitWaitingRoom: false, jwtSecret: a.config.jwtSecret }, { databaseUrl: a.databaseUrl! });
  const v = await visitFixture(a);
  pinClock(b.app.platform, v.startsAt);
  const stranger = await createPatient(a);
  const [p, d, sA, sB, dTab] = await Promise.all([
    connectWs(a, v.patient.token),
    connectWs(b, v.doctor.token),
    connectWs(a, stranger.token),
    connectWs(b, stranger.token),
    connectWs(a, v.doctor.token),
  ]);
  const marks = [p, d, sA, sB, dTab].map((c) => c.frames.length);

  assert.equal((await join(p, v.id)).peerPresent, false);
  const seen = await b.request('GET', `/api/v1/appointments/${v.id}/visit`, { token: v.doctor.token });
  assert.equal(seen.status, 200, seen.text);
  assert.equal(seen.body.peerPresent, true, 'presence written on A is seen on B');
  const pMark = p.frames.length;
  assert.equal((await join(d, v.id)).peerPresent, true);
  assert.equal((await nextAfter(d, marks[1], (f) => f.type === 'visit.peer-joined')).peer.id, v.patient.id);
  assert.equal((await nextAfter(p, pMark, (f) => f.type === 'visit.peer-joined')).peer.id, v.doctor.id);

  // A 10 KB offer exceeds a NOTIFY payload: it travels by reference and still reaches only the peer's socket.
  const offer = { description: { type: 'offer', sdp: `v=0\r\n${'a=candidate-ish line\r\n'.repeat(480)}` } };
  assert.ok(JSON.stringify(offer).length > 8000);
  const fromDoctor = [
    offer,
    { candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 40000 typ host', sdpMid: '0', sdpMLineIndex: 0 } },
    { candidate: null },
  ];
  const fromPatient = [
    { description: { type: 'answer', sdp: 'v=0\r\n' } },
    { candidate: { candidate: 'candidate:2 1 udp 1 127.0.0.1 40001 typ host', sdpMid: '0', sdpMLineIndex: 0 } },
    { candidate: null },
  ];
  const [pBefore, dBefore] = [p.frames.length, d.frames.length];
  for (const data of fromDoctor) d.ws.send(JSON.stringify({ type: 'visit.signal', appointmentId: v.id, data }));
  for (const data of fromPatient) p.ws.send(JSON.stringify({ type: 'visit.signal', appointmentId: v.id, data }));
  assert.deepEqual(
    await countAfter(p, pBefore, (f) => f.type === 'visit.signal', 3, 20_000),
    fromDoctor.map((data) => ({ type: 'visit.signal', appointmentId: v.id, from: v.doctor.id, data })),
  );
  assert.deepEqual(
    await countAfter(d, dBefore, (f) => f.type === 'visit.signal', 3, 20_000),
    fromPatient.map((data) => ({ type: 'visit.signal', appointmentId: v.id, from: v.patient.id, data })),
  );
  const [, , sAGot, sBGot, tabGot] = await settledOnBoth(
    a,
    b,
    [p, d, sA, sB, dTab].map(
      (c, i) => [c, [v.patient.id, v.doctor.id, stranger.id, stranger.id, v.doctor.id][i], marks[i]] as [WsClient, string, number],
    ),
  );
  assert.deepEqual(sAGot, [], 'the stranger on A gets nothing');
  assert.deepEqual(sBGot, [], 'the stranger on B gets nothing');
  assert.deepEqual(tabGot, [], "the doctor's other tab (on A) gets nothing");

  // The patient reconnects through B while the socket on A still looks open: A's socket is told REPLACED.
  const p2 = await connectWs(b, v.patient.token);
  const [m1, mD] = [p.frames.length, d.frames.length];
  assert.equal((await join(p2, v.id)).peerPresent, true);
  assert.equal((await nextAfter(p, m1, isVisit)).code, 'REPLACED');
  assert.equal((await nextAfter(d, mD, (f) => f.type === 'visit.peer-joined')).peer.id, v.patient.id);
  assert.equal((await send(p, { type: 'visit.signal', appointmentId: v.id, data: {} }, (f) => f.code === 'NOT_JOINED')).code, 'NOT_JOINED');
  const m2 = p2.frames.length;
  d.ws.send(JSON.stringify({ type: 'visit.signal', appointmentId: v.id, data: { restart: true } }));
  assert.deepEqual((await nextAfter(p2, m2, (f) => f.type === 'visit.signal')).data, { restart: true });
  const [pGot] = await settledOnBoth(a, b, [[p, v.patient.id, m1]]);
  assert.deepEqual(
    pGot.map((f) => f.code),
    ['REPLACED', 'NOT_JOINED'],
    'the replaced socket gets no signal',
  );

  // The doctor moves to A; then B shuts down: the patient's presence there ends and the doctor on A hears of it.
  const d2 = await connectWs(a, v.doctor.token);
  const m3 = d2.frames.length;
  await join(d2, v.id);
  await nextAfter(d2, m3, (f) => f.type === 'visit.peer-joined');
  await b.close();
  assert.deepEqual(await nextAfter(d2, m3, (f) => f.type === 'visit.peer-left', 20_000), {
    type: 'visit.peer-left',
    appointmentId: v.id,
    peerId: v.patient.id,
    reason: 'disconnected',
  });
  const rows = await a.database.rows<{ user_id: string }>(sql`SELECT user_id FROM visit_presence WHERE appointment_id = ${v.id}`);
  assert.deepEqual(
    rows.map((r) => r.user_id),
    [v.doctor.id],
  );
  assert.equal((await a.request('GET', `/api/v1/appointments/${v.id}/visit`, { token: v.doctor.token })).body.peerPresent, false);
});

test('two instances, waiting room: no signal crosses before the doctor on B admits the patient on A; then both meet', async (t) => {
  const a = await build(t);
  const b = await build(t, { jwtSecret: a.config.jwtSecret }, { databaseUrl: a.databaseUrl! });
  const v = await visitFixture(a);
  pinClock(b.app.platform, v.startsAt);
  const [p, d] = await Promise.all([connectWs(a, v.patient.token), connectWs(b, v.doctor.token)]);
  const marks = [p, d].map((c) => c.frames.length);
  await join(p, v.id);
  assert.equal((await join(d, v.id)).peerPresent, true);
  assert.equal((await nextAfter(p, marks[0], (f) => f.type === 'visit.lobby' && f.doctor === 'here')).appointmentId, v.id);
  const offer = { type: 'visit.signal', appointmentId: v.id, data: { description: { type: 'offer', sdp: 'v=0' } } };
  assert.equal((await send(p, offer, isVisit)).code, 'NOT_ADMITTED');
  assert.equal((await send(d, offer, (f) => f.type === 'visit.error')).code, 'NOT_ADMITTED');
  const [pGot] = await settledOnBoth(a, b, [[p, v.patient.id, marks[0]]]);
  assert.ok(!pGot.some((f) => f.type === 'visit.signal' || f.type === 'visit.peer-joined'), 'nothing reached the waiting patient');

  const pMark = p.frames.length;
  d.ws.send(JSON.stringify({ type: 'visit.admit', appointmentId: v.id, participantId: v.patient.id }));
  assert.equal((await nextAfter(p, pMark, (f) => f.type === 'visit.peer-joined')).peer.id, v.doctor.id);
  const relay = p.frames.length;
  d.ws.send(JSON.stringify(offer));
  assert.deepEqual((await nextAfter(p, relay, (f) => f.type === 'visit.signal')).data, offer.data);
});
