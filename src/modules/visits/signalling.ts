import { AppError, notFound, validation } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import type { Actor } from '../auth/index.ts';
import type { RequestMeta as PlatformMeta } from '../../platform/guards.ts';
import type { Platform } from '../../platform/platform.ts';
import type { RealtimeEvent } from '../../platform/realtime.ts';
import type { ClientConnection as Connection, ClientFrame } from '../../platform/websocket.ts';

/** The hub's sockets carry the caller the identity module resolved, or a guest's room-only pass. */
type ClientConnection = Connection<VisitActor>;
import type { Executor } from '../../platform/db/index.ts';
import { nowMs } from '../../platform/clock.ts';
import * as repo from './repo.ts';
import { clinicalAccess } from '../appointments/index.ts';
import { assertJoinable, staleMs } from './service.ts';
import { guestAuditRole, isGuest, type VisitActor } from './guests.ts';

/** An SDP offer with audio and video is 4–8 KB; anything far beyond is not a WebRTC signal. */
export const SIGNAL_MAX_BYTES = 12 * 1024;
/** Token bucket per socket: a call's trickled ICE candidates come in bursts of tens, then nothing. */
export const SIGNAL_BURST = 100;
export const SIGNALS_PER_SECOND = 20;

/** A lobby text: short, one line, printable (no C0/C1 controls, no bidirectional overrides). */
export const LOBBY_TEXT_MAX = 280;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type LeaveReason = 'left' | 'disconnected';

/** `visit.error` codes beyond the HTTP ones (NOT_FOUND, VISIT_NOT_OPEN, DOCTOR_NOT_VERIFIED, VALIDATION_FAILED). */
class VisitError extends Error {
  constructor(
    readonly code: 'NOT_JOINED' | 'PEER_ABSENT' | 'RATE_LIMITED' | 'NOT_ADMITTED' | 'ALREADY_ADMITTED' | 'FORBIDDEN' | 'REVOKED',
    detail: string,
  ) {
    super(detail);
  }
}

/**
 * WebRTC signalling for video visits over the shared WebSocket. Who is in a visit lives in the
 * database (visit_presence: one socket per participant, refreshed by its instance), so joins, relays
 * and departures work whichever instances the two participants are connected to; frames for one
 * socket travel through the bus narrowed to that socket's id.
 */
export class VisitSignalling {
  /** Sockets of this instance that joined a visit: only their closing needs a database write. */
  private readonly joined = new Set<string>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private timer: NodeJS.Timeout | null = null;
  private beating = false;
  private stopping = false;
  /** Departures in progress: at shutdown the hub closes every socket first, and their peers must hear of it before the bus closes. */
  private readonly departing = new Set<Promise<void>>();

  constructor(private readonly p: Platform) {}

  register(): void {
    const frames = this.p.frames;
    frames.handle<VisitActor>('visit.join', (c, f) => this.run(c, f, ['appointmentId'], (id) => this.join(c, id)));
    frames.handle<VisitActor>('visit.signal', (c, f) =>
      this.run(c, f, ['appointmentId', 'data', 'to'], (id) => this.signal(c, id, f.data, f.to)),
    );
    frames.handle<VisitActor>('visit.leave', (c, f) => this.run(c, f, ['appointmentId'], (id) => this.leave(c, id)));
    frames.handle<VisitActor>('visit.admit', (c, f) =>
      this.run(c, f, ['appointmentId', 'participantId'], (id) => this.admit(c, id, f.participantId)),
    );
    frames.handle<VisitActor>('visit.screen', (c, f) =>
      this.run(c, f, ['appointmentId', 'sharing'], (id) => this.screen(c, id, f.sharing)),
    );
    frames.handle<VisitActor>('visit.screen-allow', (c, f) =>
      this.run(c, f, ['appointmentId', 'allowed'], (id) => this.screenAllow(c, id, f.allowed)),
    );
    frames.handle<VisitActor>('visit.lobby-message', (c, f) =>
      this.run(c, f, ['appointmentId', 'text'], (id) => this.lobbyMessage(c, id, f.text)),
    );
    frames.onDisconnect<VisitActor>((c) => {
      const done = this.disconnect(c).finally(() => this.departing.delete(done));
      this.departing.add(done);
      return done;
    });
  }

  start(): void {
    this.timer = setInterval(() => void this.beat(), this.p.config.visitHeartbeatMs);
    this.timer.unref();
  }

  /** Shutdown: this instance's participants leave now, so their peers are told at once, not after the stale period. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.departing]);
    const gone = await this.removeAudited((tx) => repo.removeInstance(tx, this.p.bus.instanceId), null);
    await this.tellPeers(gone, 'disconnected');
  }

  /** Validates the frame's shape, then answers any failure with `visit.error` on this socket. */
  private async run(
    conn: ClientConnection,
    frame: ClientFrame,
    allowed: string[],
    work: (appointmentId: string) => Promise<void>,
  ): Promise<void> {
    const raw = frame.appointmentId;
    const appointmentId = typeof raw === 'string' ? raw.slice(0, 64) : null;
    try {
      const extra = Object.keys(frame).find((k) => k !== 'type' && !allowed.includes(k));
      if (extra) throw validation(`/${extra}`, 'is not a property of this frame');
      if (typeof raw !== 'string' || !UUID.test(raw)) throw validation('/appointmentId', 'must be a UUID');
      await work(raw.toLowerCase());
    } catch (err) {
      if (err instanceof AppError || err instanceof VisitError) {
        conn.send({ type: 'visit.error', appointmentId, code: err.code, detail: err.message });
        return;
      }
      this.p.log.error({ err }, 'visit frame failed');
      conn.send({ type: 'visit.error', appointmentId, code: 'INTERNAL', detail: 'Internal error' });
    }
  }

  /**
   * The visit as this caller may see it, or NOT_FOUND: a user through the clinical access point (its patient
   * or its doctor), a guest only the one visit of their pass. `lock` serialises the joins of one visit.
   */
  private async visitFor(tx: Executor, me: VisitActor, appointmentId: string, lock: boolean): Promise<repo.VisitRow> {
    if (isGuest(me)) {
      if (me.guest.appointmentId !== appointmentId) throw notFound('appointment');
      const parties = await repo.appointmentParties(tx, appointmentId);
      if (!parties) throw notFound('appointment');
      const v = await repo.findVisit(tx, this.partyGrant(parties.patientId), appointmentId, lock);
      if (!v) throw notFound('appointment');
      const people = await repo.participantsOf(tx, appointmentId);
      const guest = people.get(me.userId);
      // Revoked since the socket authenticated (the heartbeat closes it soon): out now.
      if (!guest) throw new VisitError('REVOKED', 'Your invite to this visit was revoked');
      return { ...v, me: guest, peer: people.get(v.doctorId)! };
    }
    // The socket authenticated maybe hours ago: the doctor's credentials are checked as they are now.
    const doctorStatus = me.role === 'DOCTOR' ? ((await repo.doctorStatus(tx, me.userId)) as Actor['doctorStatus']) : null;
    const grant = clinicalAccess(this.p, { userId: me.userId, role: me.role, doctorStatus }, 'records');
    const v = await repo.findVisit(tx, grant, appointmentId, lock);
    if (!v) throw notFound('appointment');
    return v;
  }

  /** A guest's reads of the visit go through the patient's grant: the visit's own row and names, nothing else. */
  private partyGrant(patientId: string) {
    return clinicalAccess(this.p, { userId: patientId, role: 'PATIENT', doctorStatus: null }, 'records');
  }

  /** The audit fields of a guest's own action: the actor is the guest, named by the role they were invited in. */
  private static who(me: VisitActor): { actorId?: string; actorRole?: string } {
    return isGuest(me) ? { actorId: me.userId, actorRole: guestAuditRole(me.guest.role) } : {};
  }

  private async join(conn: ClientConnection, appointmentId: string): Promise<void> {
    const me = conn.actor;
    const out = await this.p.db.transaction(async (tx) => {
      const v = await this.visitFor(tx, me, appointmentId, true);
      assertJoinable(this.p, me as Actor, v);
      // Checked in the transaction that records the join, holding the consent version until it commits: a
      // version published meanwhile waits for this join, or this join sees it (issue 27).
      if (me.userId === v.patientId) await this.p.hooks.visits.gate.get()(tx, { appointmentId, patientId: v.patientId }, true);
      // Closed while the join waited: its disconnect has run or is queued behind us; do not leave a ghost.
      if (!conn.isOpen()) return null;
      this.joined.add(conn.id);
      const replaced = await repo.join(tx, { appointmentId, userId: me.userId, connectionId: conn.id, instanceId: this.p.bus.instanceId });
      const others = (await repo.presenceOf(tx, appointmentId, staleMs(this.p))).filter((r) => r.userId !== me.userId);
      await audit(tx, conn.meta, {
        action: 'visit.join',
        resourceType: 'appointment',
        resourceId: appointmentId,
        patientId: v.patientId,
        ...VisitSignalling.who(me),
      });
      const admitted = await this.admittedOf(tx, v, appointmentId);
      const people = await repo.participantsOf(tx, appointmentId);
      return { v, replaced, others, admitted, people };
    });
    if (!out) return;
    const { v, others, admitted, people } = out;
    const waiting = !admitted.has(me.userId);
    if (out.replaced && out.replaced !== conn.id) {
      await this.sendTo(me.userId, out.replaced, {
        type: 'visit.error',
        appointmentId,
        code: 'REPLACED',
        detail: 'You joined this visit from another connection',
      });
    }
    // peerPresent: the other party (the doctor for the patient and guests, the patient for the doctor).
    const party = me.userId === v.doctorId ? v.patientId : v.doctorId;
    conn.send({ type: 'visit.joined', appointmentId, peerPresent: others.some((r) => r.userId === party) });
    // Every socket of the other party, in the visit or not: the doctor's agenda shows the patient waiting.
    if (!isGuest(me)) await this.p.bus.publish([v.peer.id], { type: 'visit.presence', appointmentId, userId: me.userId, present: true });
    if (me.userId === v.doctorId) {
      // The patients waiting in this doctor's visits see the doctor come in (here, or busy in another visit).
      await this.pushLobby(v.doctorId);
      for (const o of others) {
        const who = people.get(o.userId);
        if (who && !admitted.has(o.userId)) conn.send({ type: 'visit.waiting', appointmentId, participant: who });
      }
    } else if (waiting) {
      conn.send(await this.lobbyFrame(v.doctorId, appointmentId));
      await this.p.bus.publish([v.doctorId], { type: 'visit.waiting', appointmentId, participant: v.me });
    }
    if (!waiting)
      await this.meet(
        conn,
        appointmentId,
        v.me,
        others.filter((o) => admitted.has(o.userId)),
        people,
      );
  }

  /** Tells `me` (on this socket) of each admitted participant present, and each of them of `me`: each pair then negotiates. */
  private async meet(
    conn: ClientConnection,
    appointmentId: string,
    me: repo.Participant,
    others: repo.PresenceRow[],
    people: Map<string, repo.Participant>,
  ): Promise<void> {
    for (const o of others) {
      const peer = people.get(o.userId);
      if (!peer) continue;
      conn.send({ type: 'visit.peer-joined', appointmentId, peer });
      await this.sendTo(o.userId, o.connectionId, { type: 'visit.peer-joined', appointmentId, peer: me });
    }
  }

  /** Who may signal in this visit: the doctor always, the patient once admitted (everyone with the waiting room off). */
  private async admittedOf(ex: Executor, v: Pick<repo.VisitRow, 'doctorId' | 'patientId'>, appointmentId: string): Promise<Set<string>> {
    // Guests always wait for the doctor; the patient only with the waiting room on.
    const set = await repo.admittedIn(ex, appointmentId);
    set.add(v.doctorId);
    if (!this.p.config.visitWaitingRoom) set.add(v.patientId);
    return set;
  }

  /**
   * visit.admit: the doctor, joined on this socket, lets the waiting patient in. The admission holds for the
   * rest of the visit: a re-join after a dropped connection or a reload goes straight in.
   */
  private async admit(conn: ClientConnection, appointmentId: string, participantId: unknown): Promise<void> {
    if (typeof participantId !== 'string' || !UUID.test(participantId)) throw validation('/participantId', 'must be a UUID');
    const who = participantId.toLowerCase();
    const me = conn.actor;
    if (isGuest(me)) throw new VisitError('FORBIDDEN', 'Only the doctor admits participants');
    const out = await this.p.db.transaction(async (tx) => {
      const rows = await repo.presenceOf(tx, appointmentId, staleMs(this.p));
      const mine = rows.find((r) => r.userId === me.userId);
      if (!mine || mine.connectionId !== conn.id) throw new VisitError('NOT_JOINED', 'Join the visit on this connection before admitting');
      const doctorStatus = me.role === 'DOCTOR' ? ((await repo.doctorStatus(tx, me.userId)) as Actor['doctorStatus']) : null;
      const grant = clinicalAccess(this.p, { userId: me.userId, role: me.role, doctorStatus }, 'records');
      const v = await repo.findVisit(tx, grant, appointmentId, true);
      if (!v) throw notFound('appointment');
      if (v.doctorId !== me.userId) throw new VisitError('FORBIDDEN', 'Only the doctor admits participants');
      assertJoinable(this.p, me, v);
      const people = await repo.participantsOf(tx, appointmentId);
      const person = people.get(who);
      // The visit's patient, or one of its guests whose invite holds.
      if (!person || who === v.doctorId) throw notFound('participant');
      const target = rows.find((r) => r.userId === who);
      if (!target) throw new VisitError('PEER_ABSENT', 'The participant is not waiting in the lobby');
      if (!(await repo.admit(tx, { appointmentId, userId: who, admittedBy: me.userId, admittedAt: new Date(nowMs(this.p)) })))
        throw new VisitError('ALREADY_ADMITTED', 'The participant is already admitted');
      const guest = person.role === 'GUEST';
      await audit(tx, conn.meta, {
        action: guest ? 'visit.guest.admit' : 'visit.admit',
        resourceType: guest ? 'visit_guest' : 'appointment',
        resourceId: guest ? who : appointmentId,
        patientId: v.patientId,
      });
      const admitted = await this.admittedOf(tx, v, appointmentId);
      // Everyone already in the call (the doctor on this socket first) meets the newcomer.
      const inCall = rows.filter((r) => r.userId !== who && r.userId !== me.userId && admitted.has(r.userId));
      return { v, target, person, inCall, people };
    });
    const admitted = { type: 'visit.admitted', appointmentId, participantId: who } as const;
    conn.send(admitted);
    await this.sendTo(out.target.userId, out.target.connectionId, admitted);
    conn.send({ type: 'visit.peer-joined', appointmentId, peer: out.person });
    await this.sendTo(out.target.userId, out.target.connectionId, { type: 'visit.peer-joined', appointmentId, peer: out.v.me });
    for (const o of out.inCall) {
      const peer = out.people.get(o.userId);
      if (!peer) continue;
      await this.sendTo(o.userId, o.connectionId, { type: 'visit.peer-joined', appointmentId, peer: out.person });
      await this.sendTo(out.target.userId, out.target.connectionId, { type: 'visit.peer-joined', appointmentId, peer });
    }
  }

  /** visit.lobby-message: a short text from a waiting participant to every socket of the doctor (not stored). */
  private async lobbyMessage(conn: ClientConnection, appointmentId: string, raw: unknown): Promise<void> {
    if (typeof raw !== 'string') throw validation('/text', 'must be a string');
    const text = raw.trim();
    if (!text.length || [...text].length > LOBBY_TEXT_MAX) throw validation('/text', `must have 1 to ${LOBBY_TEXT_MAX} characters`);
    if (CONTROL.test(text)) throw validation('/text', 'must not contain control characters');
    if (!this.take(conn.id))
      throw new VisitError('RATE_LIMITED', `At most ${SIGNAL_BURST} frames at once and ${SIGNALS_PER_SECOND} per second`);
    const rows = await repo.presenceOf(this.p.db, appointmentId, staleMs(this.p));
    const mine = rows.find((r) => r.userId === conn.actor.userId);
    if (!mine || mine.connectionId !== conn.id) throw new VisitError('NOT_JOINED', 'Join the visit on this connection first');
    const v = await repo.appointmentParties(this.p.db, appointmentId);
    if (!v || v.doctorId === conn.actor.userId) throw new VisitError('FORBIDDEN', 'Only a participant in the lobby sends lobby messages');
    if (isGuest(conn.actor) && conn.actor.guest.appointmentId !== appointmentId) throw notFound('appointment');
    const sentAt = new Date(nowMs(this.p)).toISOString();
    await this.p.bus.publish([v.doctorId], { type: 'visit.lobby-message', appointmentId, from: conn.actor.userId, text, sentAt });
  }

  /** What a waiting patient sees of the doctor: in this visit, in another one, or not in yet; running late by N minutes. */
  private async lobbyFrame(doctorId: string, appointmentId: string): Promise<RealtimeEvent> {
    const [where, late] = await Promise.all([
      repo.visitsOf(this.p.db, doctorId, staleMs(this.p)),
      repo.runningLate(this.p.db, doctorId, new Date(nowMs(this.p))),
    ]);
    const doctor = where.includes(appointmentId) ? 'here' : where.length ? 'busy' : 'absent';
    return { type: 'visit.lobby', appointmentId, doctor, lateMinutes: late?.minutes ?? null };
  }

  /** Tells every patient waiting in one of the doctor's visits the doctor's status as it is now. */
  async pushLobby(doctorId: string): Promise<void> {
    for (const w of await repo.waitingFor(this.p.db, doctorId, staleMs(this.p), this.p.config.visitWaitingRoom))
      await this.sendTo(w.userId, w.connectionId, await this.lobbyFrame(doctorId, w.appointmentId));
  }

  /**
   * visit.signal: to one participant (`to`, the mesh: each pair has its own peer connection), or without `to`
   * to the one other participant of a two-person call (as clients before the mesh send it).
   */
  private async signal(conn: ClientConnection, appointmentId: string, data: unknown, to: unknown): Promise<void> {
    if (!data || typeof data !== 'object' || Array.isArray(data)) throw validation('/data', 'must be an object');
    if (to !== undefined && (typeof to !== 'string' || !UUID.test(to))) throw validation('/to', 'must be a participant id (UUID)');
    if (Buffer.byteLength(JSON.stringify(data)) > SIGNAL_MAX_BYTES) throw validation('/data', `must not exceed ${SIGNAL_MAX_BYTES} bytes`);
    if (!this.take(conn.id))
      throw new VisitError('RATE_LIMITED', `At most ${SIGNAL_BURST} signals at once and ${SIGNALS_PER_SECOND} per second`);
    const peers = await this.peersOf(conn, appointmentId, to === undefined ? undefined : to.toLowerCase());
    if (peers.length > 1) throw validation('/to', 'is required when more than two are in the call');
    const peer = peers[0];
    // Checked above to be a plain object: relayed untouched.
    const relayed = data as Record<string, unknown>;
    await this.sendTo(peer.userId, peer.connectionId, { type: 'visit.signal', appointmentId, from: conn.actor.userId, data: relayed });
  }

  /**
   * The sockets this one may reach in the call: joined on this socket and admitted, and `to` (present and
   * admitted) or, without it, every other admitted participant present. The rules of visit.signal and visit.screen.
   */
  private async peersOf(conn: ClientConnection, appointmentId: string, to?: string): Promise<repo.PresenceRow[]> {
    const rows = await repo.presenceOf(this.p.db, appointmentId, staleMs(this.p));
    const mine = rows.find((r) => r.userId === conn.actor.userId);
    if (!mine || mine.connectionId !== conn.id) throw new VisitError('NOT_JOINED', 'Join the visit on this connection before signalling');
    const others = rows.filter((r) => r.userId !== conn.actor.userId);
    if (!others.length) throw new VisitError('PEER_ABSENT', 'The other participant is not in the visit');
    // The waiting room: nothing reaches or leaves a participant the doctor has not admitted.
    const parties = await repo.appointmentParties(this.p.db, appointmentId);
    const admitted = parties ? await this.admittedOf(this.p.db, parties, appointmentId) : new Set<string>();
    if (!admitted.has(conn.actor.userId)) throw new VisitError('NOT_ADMITTED', 'Wait in the lobby until the doctor admits you');
    if (to !== undefined) {
      const target = others.find((r) => r.userId === to);
      if (!target) throw new VisitError('PEER_ABSENT', 'That participant is not in the visit');
      if (!admitted.has(to)) throw new VisitError('NOT_ADMITTED', 'That participant is waiting in the lobby');
      return [target];
    }
    const inCall = others.filter((r) => admitted.has(r.userId));
    if (!inCall.length) throw new VisitError('NOT_ADMITTED', 'The other participant is waiting in the lobby');
    return inCall;
  }

  /** visit.screen: tells the others in the call that this participant started or stopped sharing the screen. */
  private async screen(conn: ClientConnection, appointmentId: string, sharing: unknown): Promise<void> {
    if (typeof sharing !== 'boolean') throw validation('/sharing', 'must be a boolean');
    if (!this.take(conn.id))
      throw new VisitError('RATE_LIMITED', `At most ${SIGNAL_BURST} frames at once and ${SIGNALS_PER_SECOND} per second`);
    const peers = await this.peersOf(conn, appointmentId);
    const parties = await repo.appointmentParties(this.p.db, appointmentId);
    if (sharing && parties && conn.actor.userId !== parties.doctorId) {
      if (isGuest(conn.actor)) throw new VisitError('FORBIDDEN', 'Guests do not share their screen');
      if (!(await repo.patientMayShare(this.p.db, appointmentId)))
        throw new VisitError('FORBIDDEN', 'The doctor has not allowed screen sharing');
    }
    for (const peer of peers)
      await this.sendTo(peer.userId, peer.connectionId, { type: 'visit.screen', appointmentId, from: conn.actor.userId, sharing });
  }

  /** visit.screen-allow: the doctor, joined on this socket, allows or withdraws the patient's screen sharing. */
  private async screenAllow(conn: ClientConnection, appointmentId: string, allowed: unknown): Promise<void> {
    if (typeof allowed !== 'boolean') throw validation('/allowed', 'must be a boolean');
    const rows = await repo.presenceOf(this.p.db, appointmentId, staleMs(this.p));
    const mine = rows.find((r) => r.userId === conn.actor.userId);
    if (!mine || mine.connectionId !== conn.id) throw new VisitError('NOT_JOINED', 'Join the visit on this connection first');
    const parties = await repo.appointmentParties(this.p.db, appointmentId);
    if (!parties || parties.doctorId !== conn.actor.userId) throw new VisitError('FORBIDDEN', 'Only the doctor allows screen sharing');
    await repo.setPatientMayShare(this.p.db, appointmentId, conn.actor.userId, new Date(nowMs(this.p)), allowed);
    const frame = { type: 'visit.screen-allow', appointmentId, allowed } as const;
    conn.send(frame);
    const patient = rows.find((r) => r.userId === parties.patientId);
    if (patient) await this.sendTo(patient.userId, patient.connectionId, frame);
  }

  private async leave(conn: ClientConnection, appointmentId: string): Promise<void> {
    const gone = await this.removeAudited((tx) => repo.leave(tx, appointmentId, conn.actor.userId, conn.id), conn.meta);
    if (!gone.length) throw new VisitError('NOT_JOINED', 'This connection is not in the visit');
    conn.send({ type: 'visit.left', appointmentId });
    await this.tellPeers(gone, 'left');
  }

  private async disconnect(conn: ClientConnection): Promise<void> {
    this.buckets.delete(conn.id);
    if (!this.joined.delete(conn.id) || this.stopping) return;
    const gone = await this.removeAudited((tx) => repo.leaveAll(tx, conn.id), conn.meta);
    await this.tellPeers(gone, 'disconnected');
  }

  /**
   * Each beat: refresh this instance's participants; drop those whose instance stopped refreshing
   * (their peers see them leave) and those of visits that closed meanwhile (told VISIT_NOT_OPEN).
   * Every instance sweeps; a DELETE hands each row to exactly one of them.
   */
  private async beat(): Promise<void> {
    if (this.beating || this.stopping) return;
    this.beating = true;
    try {
      await repo.refresh(this.p.db, this.p.bus.instanceId);
      const stale = await this.removeAudited((tx) => repo.removeStale(tx, staleMs(this.p)), null);
      await this.tellPeers(stale, 'disconnected');
      const closed = await this.removeAudited(
        (tx) => repo.removeClosed(tx, new Date(nowMs(this.p)), this.p.config.visitClosesAfterMinutes),
        null,
      );
      for (const d of closed) {
        await this.sendTo(d.userId, d.connectionId, {
          type: 'visit.error',
          appointmentId: d.appointmentId,
          code: 'VISIT_NOT_OPEN',
          detail: 'The visit has closed',
        });
      }
      await this.tellPeers(closed, 'disconnected');
    } catch (err) {
      if (!this.stopping) this.p.log.warn({ err: (err as Error).message }, 'visit presence heartbeat failed');
    } finally {
      this.beating = false;
    }
  }

  /** Removes presence rows and audits each departure in one transaction; `meta` null: the server removed them. */
  private removeAudited(
    remove: (tx: Executor) => Promise<repo.Departure[]>,
    meta: PlatformMeta<VisitActor> | null,
  ): Promise<repo.Departure[]> {
    return this.p.db.transaction(async (tx) => {
      const gone = await remove(tx);
      for (const d of gone) {
        const entry = { action: 'visit.leave', resourceType: 'appointment', resourceId: d.appointmentId, patientId: d.patientId };
        const role = d.guestRole ? guestAuditRole(d.guestRole) : d.role;
        if (meta) await audit(tx, meta, d.guestRole ? { ...entry, actorId: d.userId, actorRole: role } : entry);
        else await audit(tx, { actor: null, ip: 'server', requestId: 'visit-presence' }, { ...entry, actorId: d.userId, actorRole: role });
      }
      return gone;
    });
  }

  /**
   * Tells the other party of each visit that this one left (visit.presence, to every socket: the agenda), and
   * everyone still in the call that met them (both admitted) visit.peer-left; the lobby gets the doctor's status.
   */
  private async tellPeers(gone: repo.Departure[], reason: LeaveReason): Promise<void> {
    const doctors = new Set<string>();
    for (const d of gone) {
      if (d.role !== 'GUEST') {
        const other = d.userId === d.patientId ? d.doctorId : d.patientId;
        await this.p.bus.publish([other], { type: 'visit.presence', appointmentId: d.appointmentId, userId: d.userId, present: false });
      }
      if (d.userId === d.doctorId) doctors.add(d.doctorId);
      const rows = (await repo.presenceOf(this.p.db, d.appointmentId, staleMs(this.p))).filter((r) => r.userId !== d.userId);
      if (!rows.length) continue;
      const admitted = await this.admittedOf(this.p.db, d, d.appointmentId);
      if (!admitted.has(d.userId)) {
        // A guest who left the lobby: the doctor's socket in the visit drops them from its waiting list.
        const doctor = rows.find((r) => r.userId === d.doctorId);
        if (d.role === 'GUEST' && doctor)
          await this.sendTo(doctor.userId, doctor.connectionId, {
            type: 'visit.peer-left',
            appointmentId: d.appointmentId,
            peerId: d.userId,
            reason,
          });
        continue;
      }
      for (const peer of rows)
        if (admitted.has(peer.userId))
          await this.sendTo(peer.userId, peer.connectionId, {
            type: 'visit.peer-left',
            appointmentId: d.appointmentId,
            peerId: d.userId,
            reason,
          });
    }
    for (const doctorId of doctors) await this.pushLobby(doctorId);
  }

  /** A revoked guest is out of the call at once: their presence goes (audited), the others are told, their socket gets REVOKED. */
  async removeGuest(appointmentId: string, guestId: string): Promise<void> {
    const gone = await this.removeAudited((tx) => repo.leaveAny(tx, appointmentId, guestId), null);
    for (const d of gone)
      await this.sendTo(d.userId, d.connectionId, {
        type: 'visit.error',
        appointmentId,
        code: 'REVOKED',
        detail: 'Your invite to this visit was revoked',
      });
    await this.tellPeers(gone, 'left');
  }

  /** One socket, on whichever instance it is connected. */
  private sendTo(userId: string, connectionId: string, event: RealtimeEvent): Promise<void> {
    return this.p.bus.publish([userId], event, { connectionIds: [connectionId] });
  }

  /** Refills by the app's clock, so a test that pins it counts exactly. */
  private take(connectionId: string): boolean {
    const now = nowMs(this.p);
    const b = this.buckets.get(connectionId) ?? { tokens: SIGNAL_BURST, at: now };
    b.tokens = Math.min(SIGNAL_BURST, b.tokens + (Math.max(0, now - b.at) / 1000) * SIGNALS_PER_SECOND);
    b.at = now;
    this.buckets.set(connectionId, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
