import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import {
  build,
  createAdminUser,
  createDoctor,
  createPatient,
  expectProblem,
  setDoctorVerification,
  type TestApp,
} from '../../../test/helpers.ts';
import { ConfigError, loadConfig } from '../../platform/config.ts';
import { pinClock } from '../../platform/clock.ts';
import { connect, countAfter, isVisit, join, joinBoth, nextAfter, send, settled, visitFixture } from '../../../test/fixtures/visits.ts';
import { iceServersFor } from './ice.ts';

// One app with the defaults, one with a configured STUN/TURN pair and a changed window.
let app: TestApp;
let ice: TestApp;
const TURN_SECRET = 'north-pole-shared-secret';
before(async () => {
  // The two-person call as it was before the waiting room (VISIT_WAITING_ROOM=false); waiting-room.test.ts covers the lobby.
  [app, ice] = await Promise.all([
    build(undefined, { visitWaitingRoom: false }),
    build(undefined, {
      visitWaitingRoom: false,
      iceServers: ['stun:turn.example.test:3478', 'turn:turn.example.test:3478?transport=udp', 'turns:turn.example.test:5349'],
      turnSecret: TURN_SECRET,
      turnCredentialTtlSeconds: 600,
      visitIceTransportPolicy: 'relay',
      visitOpensBeforeMinutes: 0,
      visitClosesAfterMinutes: 5,
    }),
  ]);
});
after(async () => {
  await Promise.all([app.close(), ice.close()]);
});

const visitPath = (id: string) => `/api/v1/appointments/${id}/visit`;

test('the patient and the doctor get the visit: window, no ICE servers by default, the other participant, no-store', async () => {
  const v = await visitFixture(app);
  const asPatient = await app.request('GET', visitPath(v.id), { token: v.patient.token });
  assert.equal(asPatient.status, 200, asPatient.text);
  assert.deepEqual(asPatient.body, {
    appointmentId: v.id,
    opensAt: new Date(v.startsAt.getTime() - 10 * 60_000).toISOString(),
    closesAt: new Date(v.endsAt.getTime() + 30 * 60_000).toISOString(),
    iceServers: [],
    iceTransportPolicy: 'all',
    peer: { id: v.doctor.id, firstname: 'Meredith', lastname: 'Grey', role: 'DOCTOR' },
    peerPresent: false,
    admitted: true,
    patientMayShareScreen: false,
    // No telehealth consent is published in this app: the gate is off (src/modules/intake/consent.test.ts).
    patientConsent: { currentVersion: null, accepted: true, acceptedAt: null },
    patientLocation: null,
  });
  assert.match(asPatient.headers.get('cache-control') ?? '', /no-store/);
  const asDoctor = await app.request('GET', visitPath(v.id), { token: v.doctor.token });
  assert.equal(asDoctor.status, 200);
  assert.deepEqual(asDoctor.body.peer, { id: v.patient.id, firstname: 'Alex', lastname: 'Karev', role: 'PATIENT' });
});

test('strangers, other doctors and admins get 404; an unverified doctor 403; the patient of one 409; no token 401; bad id 400', async () => {
  const v = await visitFixture(app);
  const [stranger, otherDoctor, admin] = await Promise.all([createPatient(app), createDoctor(app), createAdminUser(app)]);
  for (const who of [stranger, otherDoctor, admin])
    expectProblem(await app.request('GET', visitPath(v.id), { token: who.token }), 404, 'NOT_FOUND');
  expectProblem(await app.request('GET', visitPath(randomUUID()), { token: v.patient.token }), 404, 'NOT_FOUND');
  expectProblem(await app.request('GET', visitPath('not-a-uuid'), { token: v.patient.token }), 400, 'VALIDATION_FAILED');
  expectProblem(await app.request('GET', visitPath(v.id)), 401, 'UNAUTHENTICATED');

  const pending = await visitFixture(app, { credentials: 'PENDING' });
  expectProblem(await app.request('GET', visitPath(pending.id), { token: pending.doctor.token }), 403, 'DOCTOR_NOT_VERIFIED');
  expectProblem(await app.request('GET', visitPath(pending.id), { token: pending.patient.token }), 409, 'VISIT_NOT_OPEN');
  // Credentials withdrawn after the appointment was confirmed.
  await setDoctorVerification(app, v.doctor.id, 'REJECTED');
  const relogin = await app.request('POST', '/api/v1/auth/login', { body: { login: v.doctor.username, password: v.doctor.password } });
  expectProblem(await app.request('GET', visitPath(v.id), { token: relogin.body.accessToken }), 403, 'DOCTOR_NOT_VERIFIED');
  expectProblem(await app.request('GET', visitPath(v.id), { token: v.patient.token }), 409, 'VISIT_NOT_OPEN');
});

test('the window: closed 1 ms before opensAt, open at opensAt and 1 ms before closesAt, closed at closesAt (HTTP and WebSocket)', async () => {
  const v = await visitFixture(app);
  const opensAt = v.startsAt.getTime() - 10 * 60_000;
  const closesAt = v.endsAt.getTime() + 30 * 60_000;
  const p = await connect(app, v.patient);
  const cases: [number, boolean][] = [
    [opensAt - 1, false],
    [opensAt, true],
    [closesAt - 1, true],
    [closesAt, false],
  ];
  for (const [at, open] of cases) {
    pinClock(app.app.platform, new Date(at));
    const res = await app.request('GET', visitPath(v.id), { token: v.patient.token });
    const joined = await join(p, v.id);
    if (open) {
      assert.equal(res.status, 200, `${new Date(at).toISOString()}: ${res.text}`);
      assert.equal(joined.type, 'visit.joined');
    } else {
      expectProblem(res, 409, 'VISIT_NOT_OPEN');
      assert.equal(joined.type, 'visit.error');
      assert.equal(joined.code, 'VISIT_NOT_OPEN');
      assert.match(joined.detail, /opens|closed/);
    }
  }
});

test('the window and the ICE servers follow the configuration: STUN as is, TURN with coturn shared-secret credentials', async () => {
  const v = await visitFixture(ice);
  const res = await ice.request('GET', visitPath(v.id), { token: v.patient.token });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.opensAt, v.startsAt.toISOString());
  assert.equal(res.body.closesAt, new Date(v.endsAt.getTime() + 5 * 60_000).toISOString());
  const [stun, turn] = res.body.iceServers;
  assert.deepEqual(stun, { urls: ['stun:turn.example.test:3478'] });
  assert.deepEqual(turn.urls, ['turn:turn.example.test:3478?transport=udp', 'turns:turn.example.test:5349']);
  const [expiry, userId] = turn.username.split(':');
  assert.equal(userId, v.patient.id);
  // Short-lived: the TTL from now (the real clock, the one coturn reads), never after the visit's close.
  const ttlEnd = Date.now() / 1000 + 600;
  assert.ok(Number(expiry) >= ttlEnd - 60 && Number(expiry) <= ttlEnd + 1, turn.username);
  assert.ok(Number(expiry) <= (v.endsAt.getTime() + 5 * 60_000) / 1000, turn.username);
  assert.equal(turn.credential, createHmac('sha1', TURN_SECRET).update(turn.username).digest('base64'));
  assert.equal(res.body.iceServers.length, 2);
  assert.equal(res.body.iceTransportPolicy, 'relay', 'VISIT_ICE_TRANSPORT_POLICY reaches the participants');

  pinClock(ice.app.platform, new Date(v.startsAt.getTime() - 1));
  expectProblem(await ice.request('GET', visitPath(v.id), { token: v.patient.token }), 409, 'VISIT_NOT_OPEN');
  pinClock(ice.app.platform, new Date(v.endsAt.getTime() + 5 * 60_000 - 1));
  assert.equal((await ice.request('GET', visitPath(v.id), { token: v.doctor.token })).status, 200);
});

test("TURN credentials are bound to the visit: they expire the TTL from now, or at the visit's close if that comes first", () => {
  const config = { ...loadConfig({ DATA_DIR: '/tmp/x' }), iceServers: ['turn:turn.example.test:3478'], turnSecret: TURN_SECRET };
  const expiryOf = (closesAt: Date) => Number(iceServersFor(config, 'u', closesAt)[0].username!.split(':')[0]);
  const now = Date.now() / 1000;
  const soon = new Date(Date.now() + 120_000);
  assert.equal(expiryOf(soon), Math.floor(soon.getTime() / 1000), 'never after the close');
  const later = expiryOf(new Date(Date.now() + 86_400_000));
  assert.ok(later >= Math.floor(now + 600) && later <= now + 601, `${later}: the default TTL is 10 minutes`);
  assert.equal(loadConfig({}).turnCredentialTtlSeconds, 600);
});

test('ICE_SERVERS, TURN_SECRET and VISIT_ICE_TRANSPORT_POLICY are validated at start', () => {
  const env = { DATA_DIR: '/tmp/x' };
  assert.deepEqual(loadConfig(env).iceServers, []);
  assert.deepEqual(loadConfig({ ...env, ICE_SERVERS: ' stun:[::1]:3478 , stun:stun.example.org' }).iceServers, [
    'stun:[::1]:3478',
    'stun:stun.example.org',
  ]);
  assert.throws(
    () => loadConfig({ ...env, ICE_SERVERS: 'turn:turn.example.org' }),
    (e: Error) => e instanceof ConfigError && /TURN_SECRET/.test(e.message),
  );
  for (const bad of ['http://turn.example.org', 'turn:', 'stun:host?transport=udp', 'turn:host:99999', 'turn:host?transport=sctp']) {
    assert.throws(
      () => loadConfig({ ...env, ICE_SERVERS: bad, TURN_SECRET: 's' }),
      (e: Error) => e instanceof ConfigError && /ICE_SERVERS/.test(e.message),
      bad,
    );
  }
  assert.throws(() => loadConfig({ ...env, VISIT_OPENS_BEFORE_MINUTES: '-1' }), ConfigError);
  const turn = { ...env, ICE_SERVERS: 'stun:turn.example.org,turn:turn.example.org', TURN_SECRET: 's' };
  assert.equal(loadConfig(turn).visitIceTransportPolicy, 'all');
  assert.equal(loadConfig({ ...turn, VISIT_ICE_TRANSPORT_POLICY: 'relay' }).visitIceTransportPolicy, 'relay');
  // Relay-only without a TURN server could never connect a call; a typo must not silently mean "all".
  for (const bad of [
    { ...env, VISIT_ICE_TRANSPORT_POLICY: 'relay' },
    { ...env, ICE_SERVERS: 'stun:stun.example.org', VISIT_ICE_TRANSPORT_POLICY: 'relay' },
    { ...turn, VISIT_ICE_TRANSPORT_POLICY: 'Relay-only' },
  ]) {
    assert.throws(
      () => loadConfig(bad),
      (e: Error) => e instanceof ConfigError && /VISIT_ICE_TRANSPORT_POLICY/.test(e.message),
      JSON.stringify(bad),
    );
  }
});

test('pending, cancelled and completed appointments have no open visit (409 / visit.error VISIT_NOT_OPEN)', async () => {
  for (const status of ['PENDING', 'CANCELLED', 'COMPLETED'] as const) {
    const v = await visitFixture(app, { status });
    expectProblem(await app.request('GET', visitPath(v.id), { token: v.patient.token }), 409, 'VISIT_NOT_OPEN');
    const d = await connect(app, v.doctor);
    const err = await join(d, v.id);
    assert.equal(err.code, 'VISIT_NOT_OPEN', status);
    assert.match(err.detail, new RegExp(status));
    d.ws.close();
  }
});

test('over the WebSocket: strangers and admins get NOT_FOUND, an unverified doctor DOCTOR_NOT_VERIFIED, malformed frames VALIDATION_FAILED', async () => {
  const v = await visitFixture(app);
  const [stranger, admin] = await Promise.all([createPatient(app), createAdminUser(app)]);
  for (const who of [stranger, admin]) {
    const c = await connect(app, who);
    assert.equal((await join(c, v.id)).code, 'NOT_FOUND');
    assert.equal((await send(c, { type: 'visit.signal', appointmentId: v.id, data: { sdp: 'x' } }, isVisit)).code, 'NOT_JOINED');
  }
  const pending = await visitFixture(app, { credentials: 'PENDING' });
  const pd = await connect(app, pending.doctor);
  assert.equal((await join(pd, pending.id)).code, 'DOCTOR_NOT_VERIFIED');
  // A socket opened while verified does not keep the right once the credentials are withdrawn.
  const d = await connect(app, v.doctor);
  await setDoctorVerification(app, v.doctor.id, 'REJECTED');
  assert.equal((await join(d, v.id)).code, 'DOCTOR_NOT_VERIFIED');

  const p = await connect(app, v.patient);
  const bad: [unknown, string][] = [
    [{ type: 'visit.join' }, '/appointmentId'],
    [{ type: 'visit.join', appointmentId: 'nope' }, '/appointmentId'],
    [{ type: 'visit.join', appointmentId: 42 }, '/appointmentId'],
    [{ type: 'visit.join', appointmentId: v.id, room: 'x' }, '/room'],
    [{ type: 'visit.signal', appointmentId: v.id, data: 'offer' }, '/data'],
    [{ type: 'visit.signal', appointmentId: v.id, data: [1] }, '/data'],
    [{ type: 'visit.signal', appointmentId: v.id, data: { sdp: 'x'.repeat(13_000) } }, '/data'],
    [{ type: 'visit.leave', appointmentId: v.id, data: {} }, '/data'],
  ];
  for (const [frame, path] of bad) {
    const err = await send(p, frame, isVisit);
    assert.equal(err.type, 'visit.error', JSON.stringify(frame));
    assert.equal(err.code, 'VALIDATION_FAILED', JSON.stringify(frame));
    assert.ok(err.detail.length > 0);
    assert.ok(path.length > 0);
  }
  assert.equal(p.ws.readyState, p.ws.OPEN, 'bad frames do not cost the socket');
});

test("signals go only to the socket with which the peer joined: not to a stranger, not to the peer's other tab", async () => {
  const v = await visitFixture(app);
  const stranger = await createPatient(app);
  const [p, d, dOtherTab, s] = await Promise.all([
    connect(app, v.patient),
    connect(app, v.doctor),
    connect(app, v.doctor),
    connect(app, stranger),
  ]);
  const marks = [p, d, dOtherTab, s].map((c) => c.frames.length);

  assert.equal((await send(p, { type: 'visit.signal', appointmentId: v.id, data: { type: 'offer' } }, isVisit)).code, 'NOT_JOINED');
  const pj = await join(p, v.id);
  assert.deepEqual(pj, { type: 'visit.joined', appointmentId: v.id, peerPresent: false });
  assert.equal((await send(p, { type: 'visit.signal', appointmentId: v.id, data: { type: 'offer' } }, isVisit)).code, 'PEER_ABSENT');
  assert.equal((await app.request('GET', visitPath(v.id), { token: v.doctor.token })).body.peerPresent, true);

  const dMark = d.frames.length;
  const pMark = p.frames.length;
  const dj = await join(d, v.id);
  assert.deepEqual(dj, { type: 'visit.joined', appointmentId: v.id, peerPresent: true });
  assert.deepEqual(await nextAfter(d, dMark, (f) => f.type === 'visit.peer-joined'), {
    type: 'visit.peer-joined',
    appointmentId: v.id,
    peer: { id: v.patient.id, firstname: 'Alex', lastname: 'Karev', role: 'PATIENT' },
  });
  assert.deepEqual(await nextAfter(p, pMark, (f) => f.type === 'visit.peer-joined'), {
    type: 'visit.peer-joined',
    appointmentId: v.id,
    peer: { id: v.doctor.id, firstname: 'Meredith', lastname: 'Grey', role: 'DOCTOR' },
  });

  // A call's signalling: the doctor offers, the patient answers, both trickle candidates; all arrive in order.
  const offer = { description: { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n'.repeat(40) } };
  const answer = { description: { type: 'answer', sdp: 'v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\n' } };
  const candidates = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      candidate: { candidate: `candidate:${i} 1 udp 2122260223 127.0.0.1 ${50000 + i} typ host`, sdpMid: '0', sdpMLineIndex: 0 },
    }));
  const fromDoctor = [offer, ...candidates(3), { candidate: null }];
  const fromPatient = [answer, ...candidates(2), { candidate: null }];
  const pBefore = p.frames.length;
  const dBefore = d.frames.length;
  for (const data of fromDoctor) d.ws.send(JSON.stringify({ type: 'visit.signal', appointmentId: v.id, data }));
  for (const data of fromPatient) p.ws.send(JSON.stringify({ type: 'visit.signal', appointmentId: v.id, data }));
  const atPatient = await countAfter(p, pBefore, (f) => f.type === 'visit.signal', fromDoctor.length);
  const atDoctor = await countAfter(d, dBefore, (f) => f.type === 'visit.signal', fromPatient.length);
  assert.deepEqual(
    atPatient,
    fromDoctor.map((data) => ({ type: 'visit.signal', appointmentId: v.id, from: v.doctor.id, data })),
  );
  assert.deepEqual(
    atDoctor,
    fromPatient.map((data) => ({ type: 'visit.signal', appointmentId: v.id, from: v.patient.id, data })),
  );

  const [pGot, dGot, tabGot, sGot] = await settled(app, [
    [p, v.patient.id, marks[0]],
    [d, v.doctor.id, marks[1]],
    [dOtherTab, v.doctor.id, marks[2]],
    [s, stranger.id, marks[3]],
  ]);
  assert.deepEqual(tabGot.filter(isVisit), [], "the doctor's other tab gets nothing");
  assert.deepEqual(sGot.filter(isVisit), [], 'the stranger gets nothing');
  // Exactly what each side was owed, nothing twice.
  assert.deepEqual(
    pGot.filter(isVisit).map((f) => f.type),
    ['visit.error', 'visit.joined', 'visit.error', 'visit.peer-joined', ...fromDoctor.map(() => 'visit.signal')],
  );
  assert.deepEqual(
    dGot.filter(isVisit).map((f) => f.type),
    ['visit.joined', 'visit.peer-joined', ...fromPatient.map(() => 'visit.signal')],
  );
});

test('leaving: the leaver gets visit.left, the peer visit.peer-left (left), later signals NOT_JOINED; a closed socket is a departure too', async () => {
  const v = await visitFixture(app);
  const [p, d] = await Promise.all([connect(app, v.patient), connect(app, v.doctor)]);
  await joinBoth(p, d, v.id);
  const dMark = d.frames.length;
  assert.deepEqual(await send(p, { type: 'visit.leave', appointmentId: v.id }, isVisit), { type: 'visit.left', appointmentId: v.id });
  assert.deepEqual(await nextAfter(d, dMark, (f) => f.type === 'visit.peer-left'), {
    type: 'visit.peer-left',
    appointmentId: v.id,
    peerId: v.patient.id,
    reason: 'left',
  });
  assert.equal((await send(p, { type: 'visit.signal', appointmentId: v.id, data: {} }, isVisit)).code, 'NOT_JOINED');
  assert.equal((await send(p, { type: 'visit.leave', appointmentId: v.id }, isVisit)).code, 'NOT_JOINED');
  assert.equal((await send(d, { type: 'visit.signal', appointmentId: v.id, data: {} }, isVisit)).code, 'PEER_ABSENT');
  assert.equal((await app.request('GET', visitPath(v.id), { token: v.doctor.token })).body.peerPresent, false);

  // A reload: the old socket closes (the peer sees a disconnection), the new one joins (a fresh peer-joined).
  await join(p, v.id);
  const before = d.frames.length;
  p.ws.close();
  assert.deepEqual(await nextAfter(d, before, (f) => f.type === 'visit.peer-left'), {
    type: 'visit.peer-left',
    appointmentId: v.id,
    peerId: v.patient.id,
    reason: 'disconnected',
  });
  const p2 = await connect(app, v.patient);
  const again = d.frames.length;
  assert.equal((await join(p2, v.id)).peerPresent, true);
  assert.equal((await nextAfter(d, again, (f) => f.type === 'visit.peer-joined')).peer.id, v.patient.id);
});

test('a rejoin from another socket replaces the old one: it gets REPLACED and nothing more, the peer a fresh peer-joined, no peer-left', async () => {
  const v = await visitFixture(app);
  const [p1, d] = await Promise.all([connect(app, v.patient), connect(app, v.doctor)]);
  await joinBoth(p1, d, v.id);
  // The network dropped without a close: the patient reconnects on a new socket while the old one still looks open.
  const p2 = await connect(app, v.patient);
  const [m1, mD] = [p1.frames.length, d.frames.length];
  assert.deepEqual(await join(p2, v.id), { type: 'visit.joined', appointmentId: v.id, peerPresent: true });
  assert.deepEqual(await nextAfter(p1, m1, isVisit), {
    type: 'visit.error',
    appointmentId: v.id,
    code: 'REPLACED',
    detail: 'You joined this visit from another connection',
  });
  assert.equal((await nextAfter(d, mD, (f) => f.type === 'visit.peer-joined')).peer.id, v.patient.id);

  assert.equal(
    (
      await send(
        p1,
        { type: 'visit.signal', appointmentId: v.id, data: { stale: true } },
        (f) => f.type === 'visit.error' && f.code !== 'REPLACED',
      )
    ).code,
    'NOT_JOINED',
  );
  const m2 = p2.frames.length;
  d.ws.send(JSON.stringify({ type: 'visit.signal', appointmentId: v.id, data: { description: { type: 'offer', sdp: 'fresh' } } }));
  assert.equal((await nextAfter(p2, m2, (f) => f.type === 'visit.signal')).data.description.sdp, 'fresh');

  // The old socket finally closes: its disconnect finds nothing of it in the visit, so the peer hears nothing.
  const disconnected = new Promise<void>((resolve) =>
    app.app.platform.frames.onDisconnect((c) => {
      if (c.actor.userId === v.patient.id) resolve();
    }),
  );
  p1.ws.close();
  await disconnected;
  await p1.closed;
  assert.deepEqual(
    p1.frames
      .slice(m1)
      .filter(isVisit)
      .map((f) => f.code),
    ['REPLACED', 'NOT_JOINED'],
  );
  const [dGot, p2Got] = await settled(app, [
    [d, v.doctor.id, mD],
    [p2, v.patient.id, m2],
  ]);
  assert.deepEqual(
    dGot.filter(isVisit).map((f) => f.type),
    ['visit.peer-joined'],
  );
  assert.deepEqual(
    p2Got.filter(isVisit).map((f) => f.type),
    ['visit.signal'],
  );
  assert.equal((await app.request('GET', visitPath(v.id), { token: v.doctor.token })).body.peerPresent, true);
});

test("joins and leaves are audited with the patient and show in the patient's access log", async () => {
  const v = await visitFixture(app);
  const [p, d] = await Promise.all([connect(app, v.patient), connect(app, v.doctor)]);
  await joinBoth(p, d, v.id);
  const pMark = p.frames.length;
  await send(d, { type: 'visit.leave', appointmentId: v.id }, (f) => f.type === 'visit.left');
  await nextAfter(p, pMark, (f) => f.type === 'visit.peer-left');
  const disconnected = new Promise<void>((resolve) =>
    app.app.platform.frames.onDisconnect((c) => {
      if (c.actor.userId === v.patient.id) resolve();
    }),
  );
  p.ws.close();
  await disconnected;

  const events = await app.database.rows<Record<string, any>>(sql`
    SELECT action, actor_id, actor_role, patient_id, resource_type, resource_id, ip FROM audit_events
    WHERE resource_id = ${v.id} AND action LIKE 'visit.%' ORDER BY seq`);
  assert.deepEqual(
    events.map((e) => [e.action, e.actor_id]),
    [
      ['visit.join', v.patient.id],
      ['visit.join', v.doctor.id],
      ['visit.leave', v.doctor.id],
      ['visit.leave', v.patient.id],
    ],
  );
  for (const e of events) {
    assert.equal(e.patient_id, v.patient.id);
    assert.equal(e.resource_type, 'appointment');
    assert.equal(e.ip, '127.0.0.1');
  }
  const log = await app.request('GET', '/api/v1/patients/me/access-log?limit=100', { token: v.patient.token });
  assert.equal(log.status, 200);
  const visitEntries = log.body.items.filter((e: any) => e.action.startsWith('visit.'));
  assert.deepEqual(visitEntries.map((e: any) => [e.action, e.actor.id, e.actor.role]).reverse(), [
    ['visit.join', v.patient.id, 'PATIENT'],
    ['visit.join', v.doctor.id, 'DOCTOR'],
    ['visit.leave', v.doctor.id, 'DOCTOR'],
    ['visit.leave', v.patient.id, 'PATIENT'],
  ]);
});

test(`signals are bounded: ${100} at once, then RATE_LIMITED until the clock refills the bucket`, async () => {
  const v = await visitFixture(app);
  const [p, d] = await Promise.all([connect(app, v.patient), connect(app, v.doctor)]);
  await joinBoth(p, d, v.id);
  const [pMark, dMark] = [p.frames.length, d.frames.length];
  for (let i = 0; i < 105; i++) d.ws.send(JSON.stringify({ type: 'visit.signal', appointmentId: v.id, data: { i } }));
  await nextAfter(p, pMark, (f) => f.type === 'visit.signal' && f.data.i === 99);
  const limited = await countAfter(d, dMark, (f) => f.type === 'visit.error', 5);
  assert.deepEqual(
    limited.map((f) => f.code),
    Array(5).fill('RATE_LIMITED'),
  );
  // The clock is pinned, so nothing refilled meanwhile; one second later there is room again.
  pinClock(app.app.platform, new Date(v.startsAt.getTime() + 1000));
  d.ws.send(JSON.stringify({ type: 'visit.signal', appointmentId: v.id, data: { i: 'after' } }));
  await nextAfter(p, pMark, (f) => f.type === 'visit.signal' && f.data.i === 'after');
  const [pGot] = await settled(app, [[p, v.patient.id, pMark]]);
  assert.deepEqual(
    pGot.filter((f) => f.type === 'visit.signal').map((f) => f.data.i),
    [...Array.from({ length: 100 }, (_, i) => i), 'after'],
  );
});

test('a socket that floods the server with frames faster than they are handled is closed (1008)', async () => {
  const v = await visitFixture(app);
  const c = await connect(app, v.patient);
  // Signals of a socket that joined nothing: each costs a query until the bucket is empty, then nothing.
  const frame = JSON.stringify({ type: 'visit.signal', appointmentId: v.id, data: {} });
  for (let i = 0; i < 2000; i++) c.ws.send(frame);
  assert.equal((await c.closed).code, 1008);
});
