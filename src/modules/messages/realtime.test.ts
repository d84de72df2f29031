import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { build, connectWs, createPatient, openWs, sleep, type TestApp } from '../../../test/helpers.ts';
import { care as pair } from '../../../test/fixtures/care.ts';

// Three apps for the file: default settings; tight limits with a fast heartbeat; a short auth deadline.
// The auth deadline has an app of its own: on a loaded machine a 200 ms deadline would also close the
// sockets of the other tests before their auth frame is read (they would wait for a 'ready' in vain).
let app: TestApp;
let tight: TestApp;
let hasty: TestApp;
before(async () => {
  [app, tight, hasty] = await Promise.all([
    build(),
    build(undefined, { wsHeartbeatMs: 100, wsMaxPayloadBytes: 1024, wsMaxConnectionsPerUser: 2 }),
    build(undefined, { wsAuthTimeoutMs: 200 }),
  ]);
});
after(async () => {
  await Promise.all([app.close(), tight.close(), hasty.close()]);
});

test('a socket that sends no auth frame is closed with 4408; one that sends it too late too', async () => {
  const app = hasty;
  const silent = await openWs(app);
  assert.equal((await silent.closed).code, 4408);
  const { patient } = await pair(app);
  const late = await openWs(app);
  await sleep(400);
  if (late.ws.readyState === late.ws.OPEN) late.ws.send(JSON.stringify({ type: 'auth', accessToken: patient.token }));
  assert.equal((await late.closed).code, 4408);
  assert.equal(late.frames.length, 0);
});

test('a bad token, a malformed or wrong first frame close with 4401; a suspended account with 4403', async () => {
  const { patient } = await pair(app);
  const firsts = [
    JSON.stringify({ type: 'auth', accessToken: 'aaa.bbb.ccc' }),
    JSON.stringify({ type: 'auth', accessToken: patient.token.slice(0, -2) + 'xx' }),
    JSON.stringify({ type: 'auth' }),
    JSON.stringify({ type: 'subscribe', accessToken: patient.token }),
    'not json',
    JSON.stringify([patient.token]),
  ];
  for (const first of firsts) {
    const c = await openWs(app);
    c.ws.send(first);
    const closed = await c.closed;
    assert.equal(closed.code, 4401, first);
    assert.ok(closed.reason.length > 0);
  }
  await app.database.rows(sql`UPDATE users SET account_status = 'SUSPENDED' WHERE id = ${patient.id}`);
  const c = await openWs(app);
  c.ws.send(JSON.stringify({ type: 'auth', accessToken: patient.token }));
  assert.equal((await c.closed).code, 4403);
});

test('a plain HTTP GET of the WebSocket endpoint is 400, not an upgrade', async () => {
  const res = await app.request('GET', '/api/v1/ws');
  assert.equal(res.status, 400);
  assert.equal(res.body.code, 'VALIDATION_FAILED');
});

test('message.created reaches every socket of the recipient and the sender, and nobody else', async () => {
  const { doctor, patient } = await pair(app);
  const stranger = await createPatient(app);
  const [d1, d2, p1, s1] = await Promise.all([
    connectWs(app, doctor.token),
    connectWs(app, doctor.token),
    connectWs(app, patient.token),
    connectWs(app, stranger.token),
  ]);
  const res = await app.request('POST', `/api/v1/conversations/${doctor.id}/messages`, {
    token: patient.token,
    body: { body: 'Are you there?' },
  });
  assert.equal(res.status, 201);
  for (const c of [d1, d2, p1]) {
    const f = await c.next((x) => x.type === 'message.created');
    assert.deepEqual(f.message, res.body);
  }
  await sleep(100);
  assert.deepEqual(
    s1.frames.map((f) => f.type),
    ['ready'],
  );
});

test('message.read tells the sender which of their messages were read; appointment.updated events are delivered too', async () => {
  const { doctor, patient } = await pair(app);
  const m = await app.request('POST', `/api/v1/conversations/${doctor.id}/messages`, { token: patient.token, body: { body: 'x' } });
  const p1 = await connectWs(app, patient.token);
  assert.equal(
    (await app.request('POST', `/api/v1/conversations/${patient.id}/read`, { token: doctor.token, body: { upTo: m.body.id } })).status,
    204,
  );
  const read = await p1.next((f) => f.type === 'message.read');
  assert.equal(read.readerId, doctor.id);
  assert.equal(read.senderId, patient.id);
  assert.equal(read.upTo, m.body.id);
  assert.equal(read.count, 1);
  assert.match(read.readAt, /Z$/);

  // Any event of the list published on the bus reaches the sockets of the users it names.
  const at = new Date().toISOString();
  const appointment = {
    id: randomUUID(),
    patientId: patient.id,
    doctorId: doctor.id,
    startsAt: at,
    endsAt: at,
    status: 'CONFIRMED' as const,
    reason: null,
    cancellationReason: null,
    cancelledBy: null,
    createdAt: at,
    updatedAt: at,
    doctor: { id: doctor.id, firstname: 'D', lastname: 'D' },
    patient: { id: patient.id, firstname: 'P', lastname: 'P' },
  };
  await app.app.platform.bus.publish([patient.id, doctor.id], { type: 'appointment.updated', appointment });
  assert.deepEqual((await p1.next((f) => f.type === 'appointment.updated')).appointment, appointment);
});

test('heartbeats drop a socket that stops answering pings; app-level ping frames get a pong', async () => {
  const app = tight;
  const { patient } = await pair(app);
  const c = await connectWs(app, patient.token);
  c.ws.send(JSON.stringify({ type: 'ping' }));
  await c.next((f) => f.type === 'pong');
  await sleep(350);
  assert.equal(c.ws.readyState, c.ws.OPEN, 'a live client answers pings and stays');
  // A frozen client: it stops answering the server's pings (ws answers them itself unless told not to). Waiting
  // for the close, not for a fixed time: a loaded machine's heartbeat may come late, but it comes.
  (c.ws as unknown as { _autoPong: boolean })._autoPong = false;
  const closed = await c.closed;
  assert.equal(closed.code, 1006, 'terminated without a close handshake');
});

test('oversized frames close the socket (1009) and a user beyond the connection cap is refused (4429)', async () => {
  const app = tight;
  const { patient } = await pair(app);
  const big = await openWs(app);
  big.ws.send(JSON.stringify({ type: 'auth', accessToken: 'x'.repeat(2000) }));
  assert.equal((await big.closed).code, 1009);
  await connectWs(app, patient.token);
  await connectWs(app, patient.token);
  const third = await openWs(app);
  third.ws.send(JSON.stringify({ type: 'auth', accessToken: patient.token }));
  assert.equal((await third.closed).code, 4429);
});

test('a socket whose session is revoked (logout) is closed with 4401 at the next heartbeat', async () => {
  const app = tight;
  const { patient } = await pair(app);
  const c = await connectWs(app, patient.token);
  const person = await createPatient(app);
  const other = await connectWs(app, person.token);
  assert.equal((await app.request('POST', '/api/v1/auth/logout', { body: { refreshToken: patient.refreshToken } })).status, 204);
  assert.equal((await c.closed).code, 4401);
  assert.equal(other.ws.readyState, other.ws.OPEN);
});
