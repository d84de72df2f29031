// Real WebRTC calls (werift, a WebRTC stack for Node) set up through Telecare's signalling exactly as
// the portal does it, once relayed through Debian's coturn with the credentials GET /visit hands out
// (relay candidates only), and with credentials coturn must refuse.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { Socket as DgramSocket } from 'node:dgram';
import { RTCPeerConnection, type RTCIceServer } from 'werift';
import { build, type Person, type TestApp, type WsClient } from '../../../test/helpers.ts';
import { startCoturn, type Coturn } from '../../../test/fixtures/coturn.ts';
import { connect, join, visitFixture } from '../../../test/fixtures/visits.ts';

let turn: Coturn;
let app: TestApp;
before(async () => {
  turn = await startCoturn();
  app = await build(undefined, {
    visitWaitingRoom: false,
    iceServers: [`turn:127.0.0.1:${turn.port}?transport=udp`],
    turnSecret: turn.secret,
  });
});
after(async () => {
  await app?.close();
  await turn?.stop();
  // werift leaves the UDP sockets of refused TURN allocations open after close(); they must not keep
  // this test file's process alive (the coturn they talked to is already stopped).
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  for (const h of handles) if (h instanceof DgramSocket) h.unref();
});

/**
 * One participant following the client protocol: join; on visit.peer-joined make a fresh peer
 * connection, and the doctor offers; the patient answers; both trickle candidates as they come.
 */
class Participant {
  pc: RTCPeerConnection | null = null;
  sent: any[] = [];
  received = 0;
  readonly open: Promise<string>;
  private opened!: (msg: string) => void;

  constructor(
    private readonly c: WsClient,
    private readonly who: Person,
    private readonly role: 'DOCTOR' | 'PATIENT',
    private readonly id: string,
    private readonly iceServers: RTCIceServer[],
  ) {
    this.open = new Promise((resolve) => {
      this.opened = resolve;
    });
    c.ws.on('message', (raw) => void this.onFrame(JSON.parse(raw.toString())));
  }

  private signal(data: unknown): void {
    this.sent.push(data);
    this.c.ws.send(JSON.stringify({ type: 'visit.signal', appointmentId: this.id, data }));
  }

  private fresh(): RTCPeerConnection {
    void this.pc?.close(); // replaced at once: nothing waits for the old connection's teardown
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, iceTransportPolicy: 'relay' });
    pc.onIceCandidate.subscribe((candidate) => this.signal({ candidate: candidate ? candidate.toJSON() : null }));
    pc.onDataChannel.subscribe((ch) =>
      ch.onMessage.subscribe((m) => {
        ch.send(`pong from ${this.who.id}`);
        this.opened(m.toString());
      }),
    );
    this.pc = pc;
    return pc;
  }

  private async onFrame(f: any): Promise<void> {
    if (f.appointmentId !== this.id) return;
    if (f.type === 'visit.peer-joined') {
      const pc = this.fresh();
      if (this.role !== 'DOCTOR') return;
      const ch = pc.createDataChannel('chat');
      ch.stateChanged.subscribe((s) => s === 'open' && ch.send(`ping from ${this.who.id}`));
      ch.onMessage.subscribe((m) => this.opened(m.toString()));
      await pc.setLocalDescription(await pc.createOffer());
      this.signal({ description: pc.localDescription });
    }
    if (f.type === 'visit.signal' && this.pc) {
      this.received++;
      const { description, candidate } = f.data;
      if (description) {
        await this.pc.setRemoteDescription(description);
        if (description.type === 'offer') {
          await this.pc.setLocalDescription(await this.pc.createAnswer());
          this.signal({ description: this.pc.localDescription });
        }
      } else if (candidate) {
        await this.pc.addIceCandidate(candidate);
      }
    }
  }
}

async function iceServersOf(v: { id: string }, who: Person) {
  const res = await app.request('GET', `/api/v1/appointments/${v.id}/visit`, { token: who.token });
  assert.equal(res.status, 200, res.text);
  return res.body.iceServers as RTCIceServer[];
}

test("a call relayed through coturn with the credentials from GET /visit connects; coturn accepted both participants' usernames", async (t) => {
  const v = await visitFixture(app);
  const [pIce, dIce] = await Promise.all([iceServersOf(v, v.patient), iceServersOf(v, v.doctor)]);
  const [pc, dc] = await Promise.all([connect(app, v.patient), connect(app, v.doctor)]);
  const patient = new Participant(pc, v.patient, 'PATIENT', v.id, pIce);
  const doctor = new Participant(dc, v.doctor, 'DOCTOR', v.id, dIce);
  t.after(async () => {
    await doctor.pc?.close();
    await patient.pc?.close();
  });
  const t0 = performance.now();
  await join(pc, v.id);
  await join(dc, v.id);
  const [atPatient, atDoctor] = await Promise.all([patient.open, doctor.open]);
  const joinToOpenMs = Math.round(performance.now() - t0);
  assert.equal(atPatient, `ping from ${v.doctor.id}`);
  assert.equal(atDoctor, `pong from ${v.patient.id}`);
  assert.equal(doctor.pc!.connectionState, 'connected');

  const candidates = [...patient.sent, ...doctor.sent].filter((d) => d.candidate).map((d) => d.candidate.candidate as string);
  assert.ok(candidates.length >= 2);
  for (const c of candidates) assert.match(c, / typ relay /, 'relay candidates only');
  for (const ice of [pIce, dIce]) {
    assert.ok(
      turn.log().includes(`user <${ice[0].username}>: incoming packet ALLOCATE processed, success`),
      `coturn allocated for ${ice[0].username}`,
    );
  }
  // Every signal one side sent reached the other (an end-of-candidates null included).
  assert.equal(doctor.received, patient.sent.length);
  assert.equal(patient.received, doctor.sent.length);
  t.diagnostic(
    `relayed call: join→data channel ${joinToOpenMs} ms; signals doctor→patient ${doctor.sent.length}, patient→doctor ${patient.sent.length}`,
  );
});

test('coturn refuses credentials made with another secret or already expired: no relay candidate is gathered', async (t) => {
  const v = await visitFixture(app);
  const [good] = await iceServersOf(v, v.patient);
  const forge = (secret: string, expiry: number) => {
    const username = `${expiry}:${v.patient.id}`;
    return { urls: good.urls, username, credential: createHmac('sha1', secret).update(username).digest('base64') };
  };
  const now = Math.floor(Date.now() / 1000);
  for (const server of [forge('not-the-secret', now + 3600), forge(turn.secret, now - 60)]) {
    const pc = new RTCPeerConnection({ iceServers: [server], iceTransportPolicy: 'relay' });
    t.after(() => pc.close());
    const gathered: string[] = [];
    const done = new Promise<void>((resolve) => pc.onIceCandidate.subscribe((c) => (c ? gathered.push(c.candidate) : resolve())));
    pc.createDataChannel('chat');
    await pc.setLocalDescription(await pc.createOffer());
    await done;
    assert.deepEqual(gathered, [], server.username);
    assert.match(turn.log(), new RegExp(`user <${server.username}>: incoming packet message processed, error 401`));
    assert.ok(!turn.log().includes(`user <${server.username}>: incoming packet ALLOCATE processed, success`));
  }
});
