// Guests in the video visit (issue 30): invites by a single-use link (created by the patient, or by the doctor
// with the patient's agreement recorded; at most two; revocable), redeemed inside the visit window only into a
// room-only pass that every HTTP route refuses; the guest waits in the lobby, is admitted by the doctor and
// signals each participant by id (the mesh). Every step is audited into the patient's trail with the role given.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { build, createAdminUser, createPatient, openWs, type TestApp, type WsClient } from '../../../test/helpers.ts';
import { connectWs } from '../../../test/fixtures/ws.ts';
import { pinClock } from '../../platform/clock.ts';
import { connect, isVisit, join, nextAfter, send, settled, visitFixture, type VisitSetup } from '../../../test/fixtures/visits.ts';

let app: TestApp;
before(async () => {
  app = await build();
});
after(async () => {
  await app.close();
});

const guestsPath = (id: string) => `/api/v1/appointments/${id}/visit/guests`;
const REDEEM = '/api/v1/visit-guests/redeem';
const isError = (f: any) => f.type === 'visit.error';
const errorOrSignal = (f: any) => f.type === 'visit.error' || f.type === 'visit.signal';
const offer = { description: { type: 'offer', sdp: 'v=0' } };

async function invite(v: VisitSetup, body: Record<string, unknown> = { role: 'INTERPRETER' }, token = v.patient.token) {
  const res = await app.request('POST', guestsPath(v.id), { token, body });
  assert.equal(res.status, 201, res.text);
  return res.body as { id: string; token: string; [k: string]: any };
}

async function redeem(token: string, displayName = 'Ana Interpreter') {
  return app.request('POST', REDEEM, { body: { token, displayName } });
}

/** Invites, redeems and connects a guest's socket with their pass. */
async function guestIn(v: VisitSetup, role = 'INTERPRETER', name = 'Ana Interpreter') {
  const inv = await invite(v, { role });
  const res = await redeem(inv.token, name);
  assert.equal(res.status, 200, res.text);
  const ws = await connectWs(app, res.body.guestToken);
  return { id: inv.id as string, pass: res.body.guestToken as string, ws, body: res.body };
}

test('the patient invites: a single-use 256-bit token, shown once and stored only hashed; listed without tokens; audited', async () => {
  const v = await visitFixture(app);
  const { res, rid } = await (async () => {
    const r = await app.request('POST', guestsPath(v.id), { token: v.patient.token, body: { role: 'INTERPRETER', label: 'Spanish' } });
    return { res: r, rid: r.headers.get('x-request-id')! };
  })();
  assert.equal(res.status, 201, res.text);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const token = res.body.token;
  assert.match(token, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
  assert.deepEqual(
    { ...res.body, id: undefined, createdAt: undefined, token: undefined },
    {
      id: undefined,
      appointmentId: v.id,
      role: 'INTERPRETER',
      label: 'Spanish',
      createdBy: v.patient.id,
      createdAt: undefined,
      agreement: 'PATIENT_INVITED',
      status: 'PENDING',
      displayName: null,
      redeemedAt: null,
      revokedAt: null,
      token: undefined,
      validFrom: new Date(v.startsAt.getTime() - 10 * 60_000).toISOString(),
      validUntil: new Date(v.endsAt.getTime() + 30 * 60_000).toISOString(),
    },
  );
  const [row] = await app.database.rows<Record<string, any>>(sql`SELECT * FROM visit_guests WHERE id = ${res.body.id}`);
  assert.notEqual(row.invite_hash, token);
  assert.ok(!JSON.stringify(row).includes(token), 'the token itself is stored nowhere');

  const list = await app.request('GET', guestsPath(v.id), { token: v.doctor.token });
  assert.equal(list.status, 200);
  assert.equal(list.body.items.length, 1);
  assert.ok(!JSON.stringify(list.body).includes(token) && !('token' in list.body.items[0]));
  const events = await app.database.rows<Record<string, any>>(
    sql`SELECT action, actor_id, patient_id, resource_type, resource_id FROM audit_events WHERE request_id = ${rid}`,
  );
  assert.deepEqual(events, [
    {
      action: 'visit.guest.invite',
      actor_id: v.patient.id,
      patient_id: v.patient.id,
      resource_type: 'visit_guest',
      resource_id: res.body.id,
    },
  ]);
});

test('the doctor invites only stating the patient agreed (recorded); strangers, admins and bad bodies are refused', async () => {
  const v = await visitFixture(app);
  const refused = await app.request('POST', guestsPath(v.id), { token: v.doctor.token, body: { role: 'FAMILY' } });
  assert.equal(refused.status, 400);
  assert.equal(refused.body.errors[0].path, '/patientAgreed');
  assert.equal(
    (await app.request('POST', guestsPath(v.id), { token: v.doctor.token, body: { role: 'FAMILY', patientAgreed: false } })).status,
    400,
  );
  const ok = await invite(v, { role: 'FAMILY', patientAgreed: true }, v.doctor.token);
  assert.equal(ok.agreement, 'DOCTOR_STATED_PATIENT_AGREED');
  assert.equal(ok.createdBy, v.doctor.id);

  const [stranger, admin] = await Promise.all([createPatient(app), createAdminUser(app)]);
  assert.equal((await app.request('POST', guestsPath(v.id), { token: stranger.token, body: { role: 'FAMILY' } })).status, 404);
  assert.equal((await app.request('GET', guestsPath(v.id), { token: stranger.token })).status, 404);
  assert.equal((await app.request('POST', guestsPath(v.id), { token: admin.token, body: { role: 'FAMILY' } })).status, 404);
  assert.equal((await app.request('GET', guestsPath(v.id), { token: admin.token })).status, 404);
  assert.equal((await app.request('POST', guestsPath(v.id), { body: { role: 'FAMILY' } })).status, 401);
  assert.equal((await app.request('GET', guestsPath(v.id))).status, 401);
  for (const body of [
    { role: 'BOSS' },
    { role: 'FAMILY', label: 'a\u202eb' },
    { role: 'FAMILY', label: 'x'.repeat(81) },
    { role: 'FAMILY', extra: 1 },
    {},
  ]) {
    const res = await app.request('POST', guestsPath(v.id), { token: v.patient.token, body });
    assert.equal(res.status, 400, JSON.stringify(body));
  }
  assert.equal((await app.request('POST', guestsPath('not-a-uuid'), { token: v.patient.token, body: { role: 'FAMILY' } })).status, 400);
});

test('at most two guests per visit (409 GUEST_LIMIT_REACHED); a revocation makes room; a visit not confirmed or closed takes none', async () => {
  const v = await visitFixture(app);
  const a = await invite(v);
  await invite(v, { role: 'FAMILY' });
  const third = await app.request('POST', guestsPath(v.id), { token: v.patient.token, body: { role: 'CAREGIVER' } });
  assert.equal(third.status, 409);
  assert.equal(third.body.code, 'GUEST_LIMIT_REACHED');
  assert.equal((await app.request('DELETE', `${guestsPath(v.id)}/${a.id}`, { token: v.patient.token })).status, 204);
  await invite(v, { role: 'CAREGIVER' });

  const pending = await visitFixture(app, { status: 'PENDING' });
  const res = await app.request('POST', guestsPath(pending.id), { token: pending.patient.token, body: { role: 'FAMILY' } });
  assert.equal(res.status, 409);
  assert.equal(res.body.code, 'VISIT_NOT_OPEN');
  const closed = await visitFixture(app);
  pinClock(app.app.platform, new Date(closed.endsAt.getTime() + 30 * 60_000));
  const late = await app.request('POST', guestsPath(closed.id), { token: closed.patient.token, body: { role: 'FAMILY' } });
  assert.equal(late.status, 409);
  assert.equal(late.body.code, 'VISIT_NOT_OPEN');
});

test('redemption: only inside the window (pinned clock), once, not after revocation; the name is validated', async () => {
  const v = await visitFixture(app);
  pinClock(app.app.platform, new Date(v.startsAt.getTime() - 2 * 86_400_000));
  const inv = await invite(v);
  const before = await redeem(inv.token);
  assert.equal(before.status, 409, 'an invite made days ahead');
  assert.equal(before.body.code, 'VISIT_NOT_OPEN');
  assert.match(before.body.detail, /opens at/);

  pinClock(app.app.platform, new Date(v.startsAt.getTime() - 10 * 60_000));
  for (const name of ['', '   ', 'x'.repeat(81), 'Ana\u0007', 'Ana\u202eevil', 'A\nB']) {
    const res = await redeem(inv.token, name);
    assert.equal(res.status, 400, JSON.stringify(name));
  }
  assert.equal((await redeem('A'.repeat(43))).status, 404, 'an unknown token');
  assert.equal((await app.request('POST', REDEEM, { body: { token: inv.token } })).status, 400);
  const ok = await redeem(inv.token, '  Ana Interpreter  ');
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.headers.get('cache-control'), 'no-store');
  assert.deepEqual(ok.body.guest, { id: inv.id, appointmentId: v.id, role: 'INTERPRETER', displayName: 'Ana Interpreter' });
  assert.match(ok.body.guestToken, /^vgc_[A-Za-z0-9_-]{43}$/);
  assert.equal(ok.body.expiresAt, new Date(v.endsAt.getTime() + 30 * 60_000).toISOString());
  assert.deepEqual(ok.body.doctor, { firstname: 'Meredith', lastname: 'Grey' });
  const again = await redeem(inv.token);
  assert.equal(again.status, 409);
  assert.equal(again.body.code, 'INVITE_USED');
  const listed = (await app.request('GET', guestsPath(v.id), { token: v.patient.token })).body.items[0];
  assert.equal(listed.status, 'REDEEMED');
  assert.equal(listed.displayName, 'Ana Interpreter');

  const revoked = await invite(v, { role: 'FAMILY' });
  assert.equal((await app.request('DELETE', `${guestsPath(v.id)}/${revoked.id}`, { token: v.doctor.token })).status, 204);
  const gone = await redeem(revoked.token);
  assert.equal(gone.status, 410);
  assert.equal(gone.body.code, 'INVITE_GONE');

  // The window's end: the link dies with the visit.
  const w = await visitFixture(app);
  const late = await invite(w);
  pinClock(app.app.platform, new Date(w.endsAt.getTime() + 30 * 60_000));
  const closed = await redeem(late.token);
  assert.equal(closed.status, 410);
  assert.equal(closed.body.code, 'INVITE_GONE');
  // …and with a cancelled appointment.
  const c = await visitFixture(app);
  const cInv = await invite(c);
  await app.database.rows(sql`UPDATE appointments SET status = 'CANCELLED' WHERE id = ${c.id} RETURNING id`);
  assert.equal((await redeem(cInv.token)).status, 410);
});

test('two redemptions at once: exactly one wins, the other is told the link is used', async () => {
  const v = await visitFixture(app);
  for (let round = 0; round < 3; round++) {
    const inv = await invite(v, { role: 'FAMILY' });
    const results = await Promise.all([redeem(inv.token, 'First'), redeem(inv.token, 'Second')]);
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 409], JSON.stringify(results.map((r) => r.body)));
    assert.equal(results.find((r) => r.status === 409)!.body.code, 'INVITE_USED');
    const [row] = await app.database.rows<Record<string, any>>(sql`SELECT display_name FROM visit_guests WHERE id = ${inv.id}`);
    assert.equal(row.display_name, results.find((r) => r.status === 200)!.body.guest.displayName);
    assert.equal((await app.request('DELETE', `${guestsPath(v.id)}/${inv.id}`, { token: v.patient.token })).status, 204);
  }
});

test('revocation: by its creator, the doctor or the patient; not by strangers; twice 409; an unknown guest 404', async () => {
  const v = await visitFixture(app);
  const byDoctor = await invite(v, { role: 'FAMILY', patientAgreed: true }, v.doctor.token);
  const stranger = await createPatient(app);
  const path = `${guestsPath(v.id)}/${byDoctor.id}`;
  assert.equal((await app.request('DELETE', path, { token: stranger.token })).status, 404);
  assert.equal((await app.request('DELETE', path)).status, 401);
  assert.equal(
    (await app.request('DELETE', `${guestsPath(v.id)}/00000000-0000-4000-8000-000000000000`, { token: v.patient.token })).status,
    404,
  );
  const res = await app.request('DELETE', path, { token: v.patient.token });
  assert.equal(res.status, 204, 'the patient, whose agreement it rests on');
  const twice = await app.request('DELETE', path, { token: v.doctor.token });
  assert.equal(twice.status, 409);
  assert.equal(twice.body.code, 'INVALID_TRANSITION');
  const listed = (await app.request('GET', guestsPath(v.id), { token: v.patient.token })).body.items[0];
  assert.equal(listed.status, 'REVOKED');
  const events = await app.database.rows<Record<string, any>>(
    sql`SELECT action, actor_id FROM audit_events WHERE resource_id = ${byDoctor.id} ORDER BY seq`,
  );
  assert.deepEqual(
    events.map((e) => [e.action, e.actor_id]),
    [
      ['visit.guest.invite', v.doctor.id],
      ['visit.guest.revoke', v.patient.id],
    ],
  );
});

test('a guest pass opens the room only: 401 on patient data, FHIR, export and the visit API; other visits are NOT_FOUND; other frames are dropped', async () => {
  const v = await visitFixture(app);
  const other = await visitFixture(app, { at: v.startsAt });
  const g = await guestIn(v);
  for (const path of [
    '/api/v1/me',
    '/api/v1/patients/me',
    `/api/v1/patients/${v.patient.id}`,
    '/api/v1/patients/me/access-log',
    '/api/v1/me/export',
    `/fhir/R4/Patient/${v.patient.id}`,
    '/fhir/R4/Appointment',
    `/api/v1/appointments/${v.id}`,
    `/api/v1/appointments/${v.id}/visit`,
    guestsPath(v.id),
  ]) {
    const res = await app.request('GET', path, { headers: { authorization: `Bearer ${g.pass}` } });
    assert.equal(res.status, 401, `${path}: ${res.status}`);
  }
  assert.equal(
    (await app.request('POST', guestsPath(v.id), { headers: { authorization: `Bearer ${g.pass}` }, body: { role: 'FAMILY' } })).status,
    401,
  );

  // The socket: its own visit only.
  assert.equal((await join(g.ws, other.id)).code, 'NOT_FOUND');
  assert.equal((await send(g.ws, { type: 'visit.signal', appointmentId: other.id, data: offer }, isError)).code, 'NOT_JOINED');
  // A frame outside `visit.` is not handled at all (the hub drops it); a ping still answers.
  const mark = g.ws.frames.length;
  g.ws.ws.send(JSON.stringify({ type: 'message.typing', conversationId: v.patient.id }));
  g.ws.ws.send(JSON.stringify({ type: 'ping' }));
  await nextAfter(g.ws, mark, (f) => f.type === 'pong');
  assert.deepEqual(
    g.ws.frames.slice(mark).map((f) => f.type),
    ['pong'],
  );
  // Were a guest caller ever handed to a route's checks, they refuse it.
  assert.throws(() => app.app.platform.identity.check({ userId: g.id, role: 'GUEST', sessionId: `guest:${g.id}` }, {}), /room only/);
});

test('the guest waits in the lobby; the doctor admits; three-way mesh: signals need `to`, go to that participant only; audited with the role', async () => {
  const v = await visitFixture(app);
  const [p, d] = await Promise.all([connect(app, v.patient), connect(app, v.doctor)]);
  await join(d, v.id);
  const dWait = d.frames.length;
  await join(p, v.id);
  await nextAfter(d, dWait, (f) => f.type === 'visit.waiting');
  await send(d, { type: 'visit.admit', appointmentId: v.id, participantId: v.patient.id }, (f) => f.type === 'visit.peer-joined');

  const g = await guestIn(v);
  const gMark = g.ws.frames.length;
  const dMark = d.frames.length;
  const pMark = p.frames.length;
  assert.deepEqual(await join(g.ws, v.id), { type: 'visit.joined', appointmentId: v.id, peerPresent: true });
  assert.equal((await nextAfter(g.ws, gMark, (f) => f.type === 'visit.lobby')).doctor, 'here');
  const waiting = await nextAfter(d, dMark, (f) => f.type === 'visit.waiting');
  assert.deepEqual(waiting.participant, { id: g.id, firstname: 'Ana Interpreter', lastname: '', role: 'GUEST', guestRole: 'INTERPRETER' });
  // Nothing before admission, either way; the guest cannot admit nor share a screen.
  assert.equal(
    (await send(g.ws, { type: 'visit.signal', appointmentId: v.id, data: offer, to: v.doctor.id }, isError)).code,
    'NOT_ADMITTED',
  );
  assert.equal((await send(d, { type: 'visit.signal', appointmentId: v.id, data: offer, to: g.id }, isError)).code, 'NOT_ADMITTED');
  assert.equal((await send(g.ws, { type: 'visit.admit', appointmentId: v.id, participantId: g.id }, isError)).code, 'FORBIDDEN');
  // The legacy two-person signal (no `to`) still goes to the one other admitted participant.
  const relay = p.frames.length;
  d.ws.send(JSON.stringify({ type: 'visit.signal', appointmentId: v.id, data: offer }));
  assert.equal((await nextAfter(p, relay, errorOrSignal)).from, v.doctor.id);

  d.ws.send(JSON.stringify({ type: 'visit.admit', appointmentId: v.id, participantId: g.id }));
  assert.equal((await nextAfter(g.ws, gMark, (f) => f.type === 'visit.admitted')).participantId, g.id);
  const met = await (async () => {
    const seen = new Set<string>();
    while (seen.size < 2) {
      const f = await nextAfter(g.ws, gMark, (x) => x.type === 'visit.peer-joined' && !seen.has(x.peer.id));
      seen.add(f.peer.id);
    }
    return seen;
  })();
  assert.deepEqual([...met].sort(), [v.doctor.id, v.patient.id].sort());
  assert.equal((await nextAfter(d, dMark, (f) => f.type === 'visit.peer-joined' && f.peer.id === g.id)).peer.guestRole, 'INTERPRETER');
  assert.equal((await nextAfter(p, pMark, (f) => f.type === 'visit.peer-joined' && f.peer.id === g.id)).peer.role, 'GUEST');

  // Three in the call: a signal must name its participant, and reaches only that one.
  assert.equal((await send(d, { type: 'visit.signal', appointmentId: v.id, data: offer }, isError)).code, 'VALIDATION_FAILED');
  assert.equal((await send(d, { type: 'visit.signal', appointmentId: v.id, data: offer, to: 'x' }, isError)).code, 'VALIDATION_FAILED');
  const marks = [p, d, g.ws].map((c) => c.frames.length);
  g.ws.ws.send(JSON.stringify({ type: 'visit.signal', appointmentId: v.id, data: offer, to: v.patient.id }));
  const got = await nextAfter(p, marks[0], errorOrSignal);
  assert.deepEqual(got, { type: 'visit.signal', appointmentId: v.id, from: g.id, data: offer });
  const [, dAfter] = await settled(app, [
    [p, v.patient.id, marks[0]],
    [d, v.doctor.id, marks[1]],
  ]);
  assert.ok(!dAfter.some((f) => f.type === 'visit.signal'), 'the doctor did not get the signal meant for the patient');
  assert.equal((await send(g.ws, { type: 'visit.screen', appointmentId: v.id, sharing: true }, isError)).code, 'FORBIDDEN');
  // The doctor's screen share is announced to both others.
  d.ws.send(JSON.stringify({ type: 'visit.screen', appointmentId: v.id, sharing: true }));
  assert.equal((await nextAfter(g.ws, marks[2], (f) => f.type === 'visit.screen')).from, v.doctor.id);
  assert.equal((await nextAfter(p, marks[0], (f) => f.type === 'visit.screen')).from, v.doctor.id);

  // The guest leaves: both others are told.
  const leftMarks = [p, d].map((c) => c.frames.length);
  g.ws.ws.close();
  assert.equal((await nextAfter(p, leftMarks[0], (f) => f.type === 'visit.peer-left')).peerId, g.id);
  assert.equal((await nextAfter(d, leftMarks[1], (f) => f.type === 'visit.peer-left')).peerId, g.id);

  // The trail and the patient's access log name the guest by the role given.
  const events = await app.database.rows<Record<string, any>>(sql`
    SELECT action, actor_id, actor_role, patient_id FROM audit_events
    WHERE actor_id = ${g.id} OR resource_id = ${g.id} ORDER BY seq`);
  assert.deepEqual(
    events.map((e) => [e.action, e.actor_id, e.actor_role, e.patient_id]),
    [
      ['visit.guest.invite', v.patient.id, 'PATIENT', v.patient.id],
      ['visit.guest.redeem', g.id, 'GUEST_INTERPRETER', v.patient.id],
      ['visit.join', g.id, 'GUEST_INTERPRETER', v.patient.id],
      ['visit.guest.admit', v.doctor.id, 'DOCTOR', v.patient.id],
      ['visit.leave', g.id, 'GUEST_INTERPRETER', v.patient.id],
    ],
  );
  const log = await app.request('GET', '/api/v1/patients/me/access-log?limit=100', { token: v.patient.token });
  const mine = log.body.items.filter((e: any) => e.actor?.id === g.id).map((e: any) => [e.action, e.actor.role]);
  assert.deepEqual(mine, [
    ['visit.leave', 'GUEST_INTERPRETER'],
    ['visit.join', 'GUEST_INTERPRETER'],
    ['visit.guest.redeem', 'GUEST_INTERPRETER'],
  ]);
});

test('revoked while waiting: out of the lobby at once (REVOKED), the doctor is told, the pass no longer opens a socket', async () => {
  const v = await visitFixture(app);
  const d = await connect(app, v.doctor);
  await join(d, v.id);
  const g = await guestIn(v, 'FAMILY', 'Sam');
  const dMark = d.frames.length;
  const gMark = g.ws.frames.length;
  await join(g.ws, v.id);
  await nextAfter(d, dMark, (f) => f.type === 'visit.waiting');
  assert.equal((await app.request('DELETE', `${guestsPath(v.id)}/${g.id}`, { token: v.patient.token })).status, 204);
  assert.equal((await nextAfter(g.ws, gMark, isError)).code, 'REVOKED');
  assert.equal((await nextAfter(d, dMark, (f) => f.type === 'visit.peer-left')).peerId, g.id);
  assert.equal((await join(g.ws, v.id)).code, 'REVOKED', 'a re-join on the open socket');
  assert.equal((await send(d, { type: 'visit.admit', appointmentId: v.id, participantId: g.id }, isError)).code, 'NOT_FOUND');
  // The hub's heartbeat closes the socket: its session has ended.
  const ended = await app.app.platform.identity.endedSessions([`guest:${g.id}`]);
  assert.equal(ended.get(`guest:${g.id}`), 'ENDED');
  const fresh = await openWs(app);
  fresh.ws.send(JSON.stringify({ type: 'auth', accessToken: g.pass }));
  assert.equal((await fresh.closed).code, 4401);
  const [left] = await settled(app, [[d, v.doctor.id, dMark]]);
  assert.ok(!left.filter(isVisit).some((f) => f.type === 'visit.peer-joined'));
});

test('the pass dies with the visit window (pinned clock): the socket cannot authenticate after closesAt', async () => {
  const v = await visitFixture(app);
  const g = await guestIn(v);
  await join(g.ws, v.id);
  pinClock(app.app.platform, new Date(v.endsAt.getTime() + 30 * 60_000));
  const ended = await app.app.platform.identity.endedSessions([`guest:${g.id}`]);
  assert.equal(ended.get(`guest:${g.id}`), 'ENDED');
  const late: WsClient = await openWs(app);
  late.ws.send(JSON.stringify({ type: 'auth', accessToken: g.pass }));
  assert.equal((await late.closed).code, 4401);
});

test('four in the call: doctor, patient and two guests; every pair meets once; a guest signals a guest; lobby texts from a guest reach the doctor', async () => {
  const v = await visitFixture(app);
  const [p, d] = await Promise.all([connect(app, v.patient), connect(app, v.doctor)]);
  await join(d, v.id);
  await join(p, v.id);
  await send(d, { type: 'visit.admit', appointmentId: v.id, participantId: v.patient.id }, (f) => f.type === 'visit.peer-joined');
  const a = await guestIn(v, 'INTERPRETER', 'Ana');
  const b = await guestIn(v, 'FAMILY', 'Ben');
  const third = await app.request('POST', guestsPath(v.id), { token: v.patient.token, body: { role: 'OTHER' } });
  assert.equal(third.body.code, 'GUEST_LIMIT_REACHED', 'a fifth participant is refused');
  const marks = new Map<WsClient, number>([p, d, a.ws, b.ws].map((c) => [c, c.frames.length]));
  for (const g of [a, b]) {
    const wait = d.frames.length;
    await join(g.ws, v.id);
    await nextAfter(d, wait, (f) => f.type === 'visit.waiting' && f.participant.id === g.id);
  }
  a.ws.ws.send(JSON.stringify({ type: 'visit.lobby-message', appointmentId: v.id, text: 'Hola, I am ready' }));
  assert.equal((await nextAfter(d, marks.get(d)!, (f) => f.type === 'visit.lobby-message')).from, a.id);
  for (const g of [a, b]) d.ws.send(JSON.stringify({ type: 'visit.admit', appointmentId: v.id, participantId: g.id }));
  // Each participant meets the three others (6 pairs, told to both sides: 12 peer-joined frames after the marks).
  const ids = new Map<WsClient, string>([
    [p, v.patient.id],
    [d, v.doctor.id],
    [a.ws, a.id],
    [b.ws, b.id],
  ]);
  for (const [c, me] of ids) {
    const want = [...ids.values()].filter((x) => x !== me).sort();
    const seen = new Set<string>();
    // The patient and the doctor met each other before the marks.
    if (c === p) seen.add(v.doctor.id);
    if (c === d) seen.add(v.patient.id);
    while (seen.size < 3)
      seen.add((await nextAfter(c, marks.get(c)!, (f) => f.type === 'visit.peer-joined' && !seen.has(f.peer.id))).peer.id);
    assert.deepEqual([...seen].sort(), want);
  }
  const relay = b.ws.frames.length;
  a.ws.ws.send(JSON.stringify({ type: 'visit.signal', appointmentId: v.id, data: offer, to: b.id }));
  assert.equal((await nextAfter(b.ws, relay, errorOrSignal)).from, a.id);
  const joinedFrames = await settled(app, [
    [p, v.patient.id, marks.get(p)!],
    [d, v.doctor.id, marks.get(d)!],
    [a.ws, a.id, marks.get(a.ws)!],
    [b.ws, b.id, marks.get(b.ws)!],
  ]);
  const peerJoined = joinedFrames.map((fs) => fs.filter((f) => f.type === 'visit.peer-joined').length);
  assert.deepEqual(peerJoined, [2, 2, 3, 3], 'each pair told once to each side');
});
