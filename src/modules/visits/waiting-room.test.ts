// The waiting room (issue 30), enforced by the server: a patient who joins waits in the lobby until the
// doctor admits them; no signal reaches or leaves them before; the lobby sees the doctor's status (here,
// busy in another visit, absent, running late by N minutes) live; a short text may go to the doctor.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { appointmentFixture, build, type TestApp } from '../../../test/helpers.ts';
import { pinClock } from '../../platform/clock.ts';
import { connect, isVisit, join, nextAfter, send, settled, visitFixture } from '../../../test/fixtures/visits.ts';

let app: TestApp;
before(async () => {
  app = await build();
});
after(async () => {
  await app.close();
});

const visitPath = (id: string) => `/api/v1/appointments/${id}/visit`;
const signal = (appointmentId: string, data: unknown = { description: { type: 'offer', sdp: 'v=0' } }) => ({
  type: 'visit.signal',
  appointmentId,
  data,
});
const isError = (f: any) => f.type === 'visit.error';
const errorOrSignal = (f: any) => f.type === 'visit.error' || f.type === 'visit.signal';

test('the patient waits in the lobby; nothing is relayed until the doctor admits; then peer-joined and signals flow; audited', async () => {
  assert.equal(app.config.visitWaitingRoom, true, 'on by default');
  const v = await visitFixture(app);
  const [p, d, dAgenda] = await Promise.all([connect(app, v.patient), connect(app, v.doctor), connect(app, v.doctor)]);
  const marks = [p, d, dAgenda].map((c) => c.frames.length);

  const pMark = p.frames.length;
  assert.deepEqual(await join(p, v.id), { type: 'visit.joined', appointmentId: v.id, peerPresent: false });
  assert.deepEqual(await nextAfter(p, pMark, (f) => f.type === 'visit.lobby'), {
    type: 'visit.lobby',
    appointmentId: v.id,
    doctor: 'absent',
    lateMinutes: null,
  });
  // Every socket of the doctor, the agenda's included, learns who waits.
  assert.deepEqual(await nextAfter(dAgenda, marks[2], (f) => f.type === 'visit.waiting'), {
    type: 'visit.waiting',
    appointmentId: v.id,
    participant: { id: v.patient.id, firstname: 'Alex', lastname: 'Karev', role: 'PATIENT' },
  });
  assert.equal((await app.request('GET', visitPath(v.id), { token: v.patient.token })).body.admitted, false);
  assert.equal((await app.request('GET', visitPath(v.id), { token: v.doctor.token })).body.admitted, true);

  // The doctor comes in: the lobby says so; the doctor's socket is told who waits; nobody meets yet.
  const lobbyMark = p.frames.length;
  const dMark = d.frames.length;
  assert.deepEqual(await join(d, v.id), { type: 'visit.joined', appointmentId: v.id, peerPresent: true });
  assert.equal((await nextAfter(p, lobbyMark, (f) => f.type === 'visit.lobby')).doctor, 'here');
  assert.equal((await nextAfter(d, dMark, (f) => f.type === 'visit.waiting')).participant.id, v.patient.id);

  // No negotiation either way before admission.
  const fromPatient = await send(p, signal(v.id), errorOrSignal);
  assert.equal(fromPatient.code, 'NOT_ADMITTED');
  const fromDoctor = await send(d, signal(v.id), errorOrSignal);
  assert.equal(fromDoctor.code, 'NOT_ADMITTED');
  // Only the doctor admits, and only the visit's patient.
  assert.equal((await send(p, { type: 'visit.admit', appointmentId: v.id, participantId: v.patient.id }, isError)).code, 'FORBIDDEN');
  assert.equal((await send(d, { type: 'visit.admit', appointmentId: v.id, participantId: v.doctor.id }, isError)).code, 'NOT_FOUND');
  assert.equal((await send(d, { type: 'visit.admit', appointmentId: v.id, participantId: 'nope' }, isError)).code, 'VALIDATION_FAILED');
  assert.equal(
    (await send(dAgenda, { type: 'visit.admit', appointmentId: v.id, participantId: v.patient.id }, isError)).code,
    'NOT_JOINED',
    'the doctor admits from the socket that joined the visit',
  );
  const [beforeP, beforeD] = await settled(app, [
    [p, v.patient.id, marks[0]],
    [d, v.doctor.id, marks[1]],
  ]);
  assert.deepEqual(
    beforeP.filter(isVisit).map((f) => f.type),
    ['visit.joined', 'visit.lobby', 'visit.lobby', 'visit.error', 'visit.error'],
    'the waiting patient got no signal and no peer-joined',
  );
  assert.deepEqual(
    beforeD.filter(isVisit).map((f) => f.type),
    ['visit.waiting', 'visit.joined', 'visit.waiting', 'visit.error', 'visit.error', 'visit.error'],
  );

  // Admitted: both are told, then meet; signals flow.
  const pAdmit = p.frames.length;
  const dAdmit = d.frames.length;
  d.ws.send(JSON.stringify({ type: 'visit.admit', appointmentId: v.id, participantId: v.patient.id }));
  assert.deepEqual(await nextAfter(p, pAdmit, (f) => f.type === 'visit.admitted'), {
    type: 'visit.admitted',
    appointmentId: v.id,
    participantId: v.patient.id,
  });
  assert.equal((await nextAfter(d, dAdmit, (f) => f.type === 'visit.admitted')).participantId, v.patient.id);
  assert.equal((await nextAfter(p, pAdmit, (f) => f.type === 'visit.peer-joined')).peer.id, v.doctor.id);
  assert.equal((await nextAfter(d, dAdmit, (f) => f.type === 'visit.peer-joined')).peer.id, v.patient.id);
  const relayMark = p.frames.length;
  d.ws.send(JSON.stringify(signal(v.id)));
  assert.equal((await nextAfter(p, relayMark, errorOrSignal)).type, 'visit.signal');
  assert.equal((await app.request('GET', visitPath(v.id), { token: v.patient.token })).body.admitted, true);
  assert.equal(
    (await send(d, { type: 'visit.admit', appointmentId: v.id, participantId: v.patient.id }, isError)).code,
    'ALREADY_ADMITTED',
  );

  // A dropped connection or a reload: the admission holds for the visit, the patient goes straight in.
  const again = d.frames.length;
  p.ws.close();
  assert.equal((await nextAfter(d, again, (f) => f.type === 'visit.peer-left')).reason, 'disconnected');
  const p2 = await connect(app, v.patient);
  const p2Mark = p2.frames.length;
  await join(p2, v.id);
  assert.equal((await nextAfter(p2, p2Mark, (f) => f.type === 'visit.peer-joined')).peer.id, v.doctor.id);
  const [rejoined] = await settled(app, [[p2, v.patient.id, p2Mark]]);
  assert.ok(!rejoined.some((f) => f.type === 'visit.lobby'), 'no lobby on a re-join');

  const events = await app.database.rows<Record<string, any>>(sql`
    SELECT action, actor_id, actor_role, patient_id FROM audit_events
    WHERE resource_id = ${v.id} AND action IN ('visit.join', 'visit.admit', 'visit.leave') ORDER BY seq`);
  assert.deepEqual(
    events.map((e) => [e.action, e.actor_id, e.patient_id]),
    [
      ['visit.join', v.patient.id, v.patient.id],
      ['visit.join', v.doctor.id, v.patient.id],
      ['visit.admit', v.doctor.id, v.patient.id],
      ['visit.leave', v.patient.id, v.patient.id],
      ['visit.join', v.patient.id, v.patient.id],
    ],
  );
});

test('a patient who was never admitted and leaves: the doctor is not told peer-left (they never met), only presence', async () => {
  const v = await visitFixture(app);
  const [p, d] = await Promise.all([connect(app, v.patient), connect(app, v.doctor)]);
  await join(d, v.id);
  const waitMark = d.frames.length;
  await join(p, v.id);
  await nextAfter(d, waitMark, (f) => f.type === 'visit.waiting');
  await nextAfter(d, waitMark, (f) => f.type === 'visit.presence' && f.present);
  const mark = d.frames.length;
  await send(p, { type: 'visit.leave', appointmentId: v.id }, (f) => f.type === 'visit.left');
  await nextAfter(d, mark, (f) => f.type === 'visit.presence' && !f.present);
  const [got] = await settled(app, [[d, v.doctor.id, mark]]);
  assert.deepEqual(
    got.filter(isVisit).map((f) => f.type),
    [],
  );
});

test("the lobby shows the doctor's status live: absent, busy in another visit, here; running late set and cleared", async () => {
  const v = await visitFixture(app);
  // The doctor's previous visit, running over (it ended at this one's start and is open 30 minutes more).
  const otherPatient = (await visitFixture(app)).patient;
  pinClock(app.app.platform, v.startsAt);
  const otherId = await appointmentFixture(app, {
    doctorId: v.doctor.id,
    patientId: otherPatient.id,
    status: 'CONFIRMED',
    startsAt: new Date(v.startsAt.getTime() - 30 * 60_000),
    minutes: 30,
  });
  const [p, d] = await Promise.all([connect(app, v.patient), connect(app, v.doctor)]);
  let mark = p.frames.length;
  await join(p, v.id);
  assert.equal((await nextAfter(p, mark, (f) => f.type === 'visit.lobby')).doctor, 'absent');

  mark = p.frames.length;
  assert.equal((await join(d, otherId)).type, 'visit.joined');
  assert.deepEqual(await nextAfter(p, mark, (f) => f.type === 'visit.lobby'), {
    type: 'visit.lobby',
    appointmentId: v.id,
    doctor: 'busy',
    lateMinutes: null,
  });

  // One click in the agenda: running late by 15 minutes, pushed to the lobby at once.
  mark = p.frames.length;
  const set = await app.request('PUT', '/api/v1/doctors/me/running-late', { token: v.doctor.token, body: { minutes: 15 } });
  assert.equal(set.status, 200, set.text);
  assert.deepEqual(set.body, {
    minutes: 15,
    setAt: v.startsAt.toISOString(),
    expiresAt: new Date(v.startsAt.getTime() + 4 * 3_600_000).toISOString(),
  });
  assert.deepEqual(await nextAfter(p, mark, (f) => f.type === 'visit.lobby'), {
    type: 'visit.lobby',
    appointmentId: v.id,
    doctor: 'busy',
    lateMinutes: 15,
  });
  assert.deepEqual((await app.request('GET', '/api/v1/doctors/me/running-late', { token: v.doctor.token })).body, set.body);

  // The doctor leaves the other visit and comes into this one.
  mark = p.frames.length;
  await send(d, { type: 'visit.leave', appointmentId: otherId }, (f) => f.type === 'visit.left');
  assert.equal((await nextAfter(p, mark, (f) => f.type === 'visit.lobby')).doctor, 'absent');
  mark = p.frames.length;
  await join(d, v.id);
  assert.deepEqual(await nextAfter(p, mark, (f) => f.type === 'visit.lobby'), {
    type: 'visit.lobby',
    appointmentId: v.id,
    doctor: 'here',
    lateMinutes: 15,
  });

  // Cleared with 0.
  mark = p.frames.length;
  const cleared = await app.request('PUT', '/api/v1/doctors/me/running-late', { token: v.doctor.token, body: { minutes: 0 } });
  assert.deepEqual(cleared.body, { minutes: 0, setAt: null, expiresAt: null });
  assert.equal((await nextAfter(p, mark, (f) => f.type === 'visit.lobby')).lateMinutes, null);

  // It lapses by itself after 4 hours.
  await app.request('PUT', '/api/v1/doctors/me/running-late', { token: v.doctor.token, body: { minutes: 5 } });
  pinClock(app.app.platform, new Date(v.startsAt.getTime() + 4 * 3_600_000));
  assert.deepEqual((await app.request('GET', '/api/v1/doctors/me/running-late', { token: v.doctor.token })).body, {
    minutes: 0,
    setAt: null,
    expiresAt: null,
  });
});

test('running late: doctors only, bounded minutes, nothing else in the body', async () => {
  const v = await visitFixture(app);
  const path = '/api/v1/doctors/me/running-late';
  assert.equal((await app.request('PUT', path, { body: { minutes: 5 } })).status, 401);
  assert.equal((await app.request('GET', path)).status, 401);
  assert.equal((await app.request('PUT', path, { token: v.patient.token, body: { minutes: 5 } })).status, 403);
  assert.equal((await app.request('GET', path, { token: v.patient.token })).status, 403);
  for (const body of [{ minutes: 121 }, { minutes: -1 }, { minutes: 2.5 }, { minutes: '5' }, {}, { minutes: 5, note: 'x' }]) {
    const res = await app.request('PUT', path, { token: v.doctor.token, body });
    assert.equal(res.status, 400, JSON.stringify(body));
  }
  assert.equal((await app.request('GET', path, { token: v.doctor.token })).body.minutes, 0, 'nothing written');
  const [row] = await app.database.rows<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM doctor_running_late WHERE doctor_id = ${v.doctor.id}`,
  );
  assert.equal(row.n, 0);
});

test('lobby text: to every socket of the doctor, trimmed; bounded; control characters refused; joined patients only', async () => {
  const v = await visitFixture(app);
  const [p, d, stranger] = await Promise.all([connect(app, v.patient), connect(app, v.doctor), connect(app, v.patient)]);
  const text = (t: unknown) => ({ type: 'visit.lobby-message', appointmentId: v.id, text: t });
  assert.equal((await send(p, text('Hello'), isError)).code, 'NOT_JOINED');
  await join(p, v.id);
  const dMark = d.frames.length;
  p.ws.send(JSON.stringify(text('  I am here, the camera works.  ')));
  assert.deepEqual(await nextAfter(d, dMark, (f) => f.type === 'visit.lobby-message'), {
    type: 'visit.lobby-message',
    appointmentId: v.id,
    from: v.patient.id,
    text: 'I am here, the camera works.',
    sentAt: v.startsAt.toISOString(),
  });
  const longest = 'é'.repeat(280);
  const m2 = d.frames.length;
  p.ws.send(JSON.stringify(text(longest)));
  assert.equal((await nextAfter(d, m2, (f) => f.type === 'visit.lobby-message')).text, longest);
  for (const bad of ['', '   ', 'x'.repeat(281), 'line\nbreak', 'bell\u0007', 'nul\u0000', 'c1\u0085', 'bidi \u202eevil', 42, null]) {
    const err = await send(p, text(bad), isError);
    assert.equal(err.code, 'VALIDATION_FAILED', JSON.stringify(bad));
  }
  assert.equal((await send(stranger, text('other tab'), isError)).code, 'NOT_JOINED');
  await join(d, v.id);
  assert.equal((await send(d, text('from the doctor'), isError)).code, 'FORBIDDEN');
  const [got] = await settled(app, [[d, v.doctor.id, dMark]]);
  assert.equal(got.filter((f) => f.type === 'visit.lobby-message').length, 2, 'only the two valid texts arrived');
});

test('screen sharing: the doctor always may; the patient only once the doctor allows it, until withdrawn; only between admitted participants', async () => {
  const v = await visitFixture(app);
  const [p, d] = await Promise.all([connect(app, v.patient), connect(app, v.doctor)]);
  const screen = (sharing: unknown) => ({ type: 'visit.screen', appointmentId: v.id, sharing });
  const allow = (allowed: unknown) => ({ type: 'visit.screen-allow', appointmentId: v.id, allowed });
  assert.equal((await send(d, screen(true), isError)).code, 'NOT_JOINED');
  assert.equal((await send(d, allow(true), isError)).code, 'NOT_JOINED');
  await join(d, v.id);
  await join(p, v.id);
  // Not before admission, either way.
  assert.equal((await send(d, screen(true), (f) => f.type === 'visit.error')).code, 'NOT_ADMITTED');
  const mark = p.frames.length;
  d.ws.send(JSON.stringify({ type: 'visit.admit', appointmentId: v.id, participantId: v.patient.id }));
  await nextAfter(p, mark, (f) => f.type === 'visit.peer-joined');

  let pm = p.frames.length;
  d.ws.send(JSON.stringify(screen(true)));
  assert.deepEqual(await nextAfter(p, pm, (f) => f.type === 'visit.screen'), {
    type: 'visit.screen',
    appointmentId: v.id,
    from: v.doctor.id,
    sharing: true,
  });
  assert.equal((await send(d, screen('yes'), isError)).code, 'VALIDATION_FAILED');
  assert.equal((await send(p, screen(true), isError)).code, 'FORBIDDEN');
  assert.equal((await send(p, allow(true), isError)).code, 'FORBIDDEN', 'the patient cannot allow themselves');
  assert.equal((await send(d, allow(1), isError)).code, 'VALIDATION_FAILED');
  assert.equal((await app.request('GET', visitPath(v.id), { token: v.patient.token })).body.patientMayShareScreen, false);

  pm = p.frames.length;
  assert.deepEqual(await send(d, allow(true), (f) => f.type === 'visit.screen-allow'), {
    type: 'visit.screen-allow',
    appointmentId: v.id,
    allowed: true,
  });
  assert.equal((await nextAfter(p, pm, (f) => f.type === 'visit.screen-allow')).allowed, true);
  assert.equal((await app.request('GET', visitPath(v.id), { token: v.patient.token })).body.patientMayShareScreen, true);
  const dm = d.frames.length;
  p.ws.send(JSON.stringify(screen(true)));
  assert.equal((await nextAfter(d, dm, (f) => f.type === 'visit.screen')).from, v.patient.id);

  pm = p.frames.length;
  d.ws.send(JSON.stringify(allow(false)));
  assert.equal((await nextAfter(p, pm, (f) => f.type === 'visit.screen-allow')).allowed, false);
  assert.equal((await send(p, screen(true), isError)).code, 'FORBIDDEN');
  // Stopping is always allowed.
  const dm2 = d.frames.length;
  p.ws.send(JSON.stringify(screen(false)));
  assert.equal((await nextAfter(d, dm2, (f) => f.type === 'visit.screen')).sharing, false);
});
