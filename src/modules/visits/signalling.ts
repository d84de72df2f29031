import { AppError, notFound, validation } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import type { Actor, RequestMeta } from '../auth/index.ts';
import type { Platform } from '../../platform/platform.ts';
import type { RealtimeEvent } from '../../platform/realtime.ts';
import type { ClientConnection as Connection, ClientFrame } from '../../platform/websocket.ts';

/** The hub's sockets carry the caller the identity module resolved. */
type ClientConnection = Connection<Actor>;
import type { Executor } from '../../platform/db/index.ts';
import { nowMs } from '../../platform/clock.ts';
import * as repo from './repo.ts';
import { clinicalAccess } from '../appointments/index.ts';
import { assertJoinable, staleMs } from './service.ts';

/** An SDP offer with audio and video is 4–8 KB; anything far beyond is not a WebRTC signal. */
export const SIGNAL_MAX_BYTES = 12 * 1024;
/** Token bucket per socket: a call's trickled ICE candidates come in bursts of tens, then nothing. */
export const SIGNAL_BURST = 100;
export const SIGNALS_PER_SECOND = 20;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type LeaveReason = 'left' | 'disconnected';

/** `visit.error` codes beyond the HTTP ones (NOT_FOUND, VISIT_NOT_OPEN, DOCTOR_NOT_VERIFIED, VALIDATION_FAILED). */
class VisitError extends Error {
  constructor(
    readonly code: 'NOT_JOINED' | 'PEER_ABSENT' | 'RATE_LIMITED',
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
    frames.handle<Actor>('visit.join', (c, f) => this.run(c, f, ['appointmentId'], (id) => this.join(c, id)));
    frames.handle<Actor>('visit.signal', (c, f) => this.run(c, f, ['appointmentId', 'data'], (id) => this.signal(c, id, f.data)));
    frames.handle<Actor>('visit.leave', (c, f) => this.run(c, f, ['appointmentId'], (id) => this.leave(c, id)));
    frames.onDisconnect<Actor>((c) => {
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

  private async join(conn: ClientConnection, appointmentId: string): Promise<void> {
    const me = conn.actor;
    // The socket authenticated maybe hours ago: the doctor's credentials are checked as they are now.
    const doctorStatus = me.role === 'DOCTOR' ? ((await repo.doctorStatus(this.p.db, me.userId)) as Actor['doctorStatus']) : null;
    const grant = clinicalAccess(this.p, { userId: me.userId, role: me.role, doctorStatus }, 'records');
    const out = await this.p.db.transaction(async (tx) => {
      const v = await repo.findVisit(tx, grant, appointmentId, true);
      if (!v) throw notFound('appointment');
      assertJoinable(this.p, me, v);
      // Checked in the transaction that records the join, holding the consent version until it commits: a
      // version published meanwhile waits for this join, or this join sees it (issue 27).
      if (me.userId === v.patientId) await this.p.hooks.visits.gate.get()(tx, { appointmentId, patientId: v.patientId }, true);
      // Closed while the join waited: its disconnect has run or is queued behind us; do not leave a ghost.
      if (!conn.isOpen()) return null;
      this.joined.add(conn.id);
      const replaced = await repo.join(tx, { appointmentId, userId: me.userId, connectionId: conn.id, instanceId: this.p.bus.instanceId });
      const peer = (await repo.presenceOf(tx, appointmentId, staleMs(this.p))).find((r) => r.userId !== me.userId);
      await audit(tx, conn.meta, { action: 'visit.join', resourceType: 'appointment', resourceId: appointmentId, patientId: v.patientId });
      return { v, replaced, peer };
    });
    if (!out) return;
    if (out.replaced && out.replaced !== conn.id) {
      await this.sendTo(me.userId, out.replaced, {
        type: 'visit.error',
        appointmentId,
        code: 'REPLACED',
        detail: 'You joined this visit from another connection',
      });
    }
    conn.send({ type: 'visit.joined', appointmentId, peerPresent: Boolean(out.peer) });
    // Every socket of the other party, in the visit or not: the doctor's agenda shows the patient waiting.
    await this.p.bus.publish([out.v.peer.id], { type: 'visit.presence', appointmentId, userId: me.userId, present: true });
    if (out.peer) {
      conn.send({ type: 'visit.peer-joined', appointmentId, peer: out.v.peer });
      await this.sendTo(out.peer.userId, out.peer.connectionId, { type: 'visit.peer-joined', appointmentId, peer: out.v.me });
    }
  }

  private async signal(conn: ClientConnection, appointmentId: string, data: unknown): Promise<void> {
    if (!data || typeof data !== 'object' || Array.isArray(data)) throw validation('/data', 'must be an object');
    if (Buffer.byteLength(JSON.stringify(data)) > SIGNAL_MAX_BYTES) throw validation('/data', `must not exceed ${SIGNAL_MAX_BYTES} bytes`);
    if (!this.take(conn.id))
      throw new VisitError('RATE_LIMITED', `At most ${SIGNAL_BURST} signals at once and ${SIGNALS_PER_SECOND} per second`);
    const rows = await repo.presenceOf(this.p.db, appointmentId, staleMs(this.p));
    const mine = rows.find((r) => r.userId === conn.actor.userId);
    if (!mine || mine.connectionId !== conn.id) throw new VisitError('NOT_JOINED', 'Join the visit on this connection before signalling');
    const peer = rows.find((r) => r.userId !== conn.actor.userId);
    if (!peer) throw new VisitError('PEER_ABSENT', 'The other participant is not in the visit');
    // Checked above to be a plain object: relayed untouched.
    const relayed = data as Record<string, unknown>;
    await this.sendTo(peer.userId, peer.connectionId, { type: 'visit.signal', appointmentId, from: conn.actor.userId, data: relayed });
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
  private removeAudited(remove: (tx: Executor) => Promise<repo.Departure[]>, meta: RequestMeta | null): Promise<repo.Departure[]> {
    return this.p.db.transaction(async (tx) => {
      const gone = await remove(tx);
      for (const d of gone) {
        const entry = { action: 'visit.leave', resourceType: 'appointment', resourceId: d.appointmentId, patientId: d.patientId };
        if (meta) await audit(tx, meta, entry);
        else
          await audit(tx, { actor: null, ip: 'server', requestId: 'visit-presence' }, { ...entry, actorId: d.userId, actorRole: d.role });
      }
      return gone;
    });
  }

  /** Tells the other participant of each visit, if still there, that this one left, and the other party's sockets that they are gone. */
  private async tellPeers(gone: repo.Departure[], reason: LeaveReason): Promise<void> {
    for (const d of gone) {
      const other = d.userId === d.patientId ? d.doctorId : d.patientId;
      await this.p.bus.publish([other], { type: 'visit.presence', appointmentId: d.appointmentId, userId: d.userId, present: false });
      const peer = (await repo.presenceOf(this.p.db, d.appointmentId, staleMs(this.p))).find((r) => r.userId !== d.userId);
      if (peer)
        await this.sendTo(peer.userId, peer.connectionId, {
          type: 'visit.peer-left',
          appointmentId: d.appointmentId,
          peerId: d.userId,
          reason,
        });
    }
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
