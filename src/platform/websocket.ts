import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { randomUUID } from 'node:crypto';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { AppError } from './errors.ts';
import type { Caller, RequestMeta } from './guards.ts';
import type { Platform } from './platform.ts';
import type { BaseEvent, DeliveryTarget, RealtimeEvent, RealtimeRegistry, UntypedEvent } from './realtime.ts';
import { Uuid } from './schema.ts';
import { wsConnections } from './metrics.ts';

// The hub's own frames: the socket's protocol, whatever modules publish. They belong to the one list of
// frames (src/modules/realtime/events.ts), which takes them from here because the hub, in the platform,
// builds and reads them and must not import a module.

/** Client → server, first frame: authenticates the socket. Extra properties are ignored. */
export const AuthFrame = Type.Object({ type: Type.Literal('auth'), accessToken: Type.String({ minLength: 1, maxLength: 4096 }) });
/** Client → server, any time after auth: answered with `pong`. */
export const PingFrame = Type.Object({ type: Type.Literal('ping') });
/** Server → client, once the auth frame's token is accepted. */
export const ReadyFrame = Type.Object(
  {
    type: Type.Literal('ready'),
    userId: Uuid('The authenticated user'),
    heartbeatMs: Type.Integer({ minimum: 1, description: 'The server pings this often; a socket that misses pongs is dropped' }),
  },
  { additionalProperties: false },
);
/** Server → client, the answer to `ping`. */
export const PongFrame = Type.Object({ type: Type.Literal('pong') }, { additionalProperties: false });
const PONG = JSON.stringify({ type: 'pong' } satisfies Static<typeof PongFrame>);

/**
 * A client frame that a module handles (ClientFrames), as the registered list defines it (its
 * `clientFrame` entry; any frame without it). Handlers get it unchecked but for its `type`:
 * they validate the rest and answer with their own error frame.
 */
export type ModuleClientFrame = RealtimeRegistry extends { clientFrame: infer C extends BaseEvent } ? C : UntypedEvent;

/** Close codes (4000–4999 are the application's): clients should not reconnect blindly on 4401/4403. */
export const WS_CLOSE = {
  /** The first frame was not `{"type":"auth","accessToken":…}`, or the token/session is invalid, expired or revoked. */
  UNAUTHENTICATED: 4401,
  /** The account is suspended. */
  SUSPENDED: 4403,
  /** No auth frame within the allowed time. */
  AUTH_TIMEOUT: 4408,
  /** Too many open sockets for this user; the new one is refused. */
  TOO_MANY_CONNECTIONS: 4429,
  /** Server shutting down: reconnect (to another instance). */
  GOING_AWAY: 1001,
  /** The client sent frames faster than they could be handled (MAX_PENDING_FRAMES waiting). */
  POLICY_VIOLATION: 1008,
} as const;

/**
 * What a module's frame handler sees of one authenticated socket. `A` is the identity module's caller
 * type: the socket carries what the injected Identity resolved its token to.
 */
export interface ClientConnection<A extends Caller = Caller> {
  /** Unique across instances: a DeliveryTarget names this socket alone. */
  readonly id: string;
  readonly actor: A;
  /** The caller, client address and the upgrade request's id, for the audit trail. */
  readonly meta: RequestMeta<A> & { actor: A };
  /** Sends to this socket alone; a no-op once it has closed. */
  send(frame: RealtimeEvent): void;
  isOpen(): boolean;
}

/** A client frame as received: only its `type` is known (it chose the handler); the rest is untrusted input. */
export interface ClientFrame<T extends string = string> {
  type: T;
  [key: string]: unknown;
}

export type ClientFrameHandler<A extends Caller = Caller, T extends string = string> = (
  conn: ClientConnection<A>,
  frame: ClientFrame<T>,
) => void | Promise<void>;
export type DisconnectHandler<A extends Caller = Caller> = (conn: ClientConnection<A>) => void | Promise<void>;

/**
 * Client-frame handlers that modules register (the platform imports no module): the hub hands each
 * authenticated frame whose `type` has a handler to it. One connection's frames and its disconnect
 * run one after the other, in arrival order, so e.g. a join completes before the signals that follow
 * it and before the cleanup of a socket that closed meanwhile.
 */
export class ClientFrames {
  private readonly handlers = new Map<string, ClientFrameHandler>();
  private readonly disconnects: DisconnectHandler[] = [];

  /** Registers the one handler of a frame type of the list, e.g. `visit.join`; `auth` and `ping` are the hub's own. */
  handle<A extends Caller = Caller, T extends ModuleClientFrame['type'] = ModuleClientFrame['type']>(
    type: T,
    handler: ClientFrameHandler<A, T>,
  ): void {
    const name: string = type;
    if (name === 'auth' || name === 'ping' || this.handlers.has(name)) throw new Error(`client frame type ${type} is already handled`);
    this.handlers.set(type, handler as ClientFrameHandler);
  }

  /** Runs when an authenticated socket closes, after its pending frames. */
  onDisconnect<A extends Caller = Caller>(handler: DisconnectHandler<A>): void {
    this.disconnects.push(handler as DisconnectHandler);
  }

  handlerFor(type: unknown): ClientFrameHandler | undefined {
    return typeof type === 'string' ? this.handlers.get(type) : undefined;
  }

  disconnectHandlers(): readonly DisconnectHandler[] {
    return this.disconnects;
  }
}

/** A client that keeps sending while earlier frames still wait for the database is cut off (1008). */
export const MAX_PENDING_FRAMES = 128;

interface Conn {
  id: string;
  socket: WebSocket;
  actor: Caller | null;
  alive: boolean;
  /** Pings in a row this socket has not answered by the next beat. */
  missed: number;
  ip: string;
  requestId: string;
  /** Tail of this connection's handler chain, and how many frames wait on it. */
  chain: Promise<void>;
  pending: number;
  view: ClientConnection | null;
}

/** Every authenticated socket of this instance, by user; delivers bus events to the addressed users. */
export class Hub {
  private readonly byUser = new Map<string, Set<Conn>>();
  private readonly all = new Set<Conn>();
  private heartbeat: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly p: Platform) {}

  start(): void {
    this.unsubscribe = this.p.bus.onEvent((userIds, event, target) => this.deliver(userIds, event, target));
    // One beat at a time: a beat whose session query outlasts the interval is not overlapped by the next,
    // which would count the first beat's unanswered pings as missed.
    let beating = false;
    this.heartbeat = setInterval(() => {
      if (beating) return;
      beating = true;
      void this.beat().finally(() => {
        beating = false;
      });
    }, this.p.config.wsHeartbeatMs);
    this.heartbeat.unref();
  }

  stop(): void {
    this.unsubscribe?.();
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const c of this.all) c.socket.close(WS_CLOSE.GOING_AWAY, 'server shutting down');
  }

  connectionCount(userId?: string): number {
    return userId ? (this.byUser.get(userId)?.size ?? 0) : this.all.size;
  }

  private deliver(userIds: string[], event: RealtimeEvent, target?: DeliveryTarget): void {
    let frame: string | null = null;
    const only = target?.connectionIds ? new Set(target.connectionIds) : null;
    for (const id of new Set(userIds)) {
      const conns = this.byUser.get(id);
      if (!conns) continue;
      for (const c of conns) {
        if (only && !only.has(c.id)) continue;
        frame ??= JSON.stringify(event);
        if (c.socket.readyState === c.socket.OPEN) c.socket.send(frame);
      }
    }
  }

  /** Runs for each upgraded socket: waits for the auth frame, then registers it under its user. */
  accept(socket: WebSocket, req: FastifyRequest): void {
    const log = req.log;
    const conn: Conn = {
      id: randomUUID(),
      socket,
      actor: null,
      alive: true,
      missed: 0,
      ip: req.ip,
      requestId: String(req.id),
      chain: Promise.resolve(),
      pending: 0,
      view: null,
    };
    this.all.add(conn);
    wsConnections.inc();
    socket.on('pong', () => {
      conn.alive = true;
      conn.missed = 0;
    });
    socket.on('close', () => this.remove(conn, log));
    socket.on('error', (err) => log.debug({ err: err.message }, 'websocket error'));
    const timer = setTimeout(() => socket.close(WS_CLOSE.AUTH_TIMEOUT, 'auth frame not received in time'), this.p.config.wsAuthTimeoutMs);
    let authStarted = false;
    socket.on('message', (data, isBinary) => {
      if (conn.actor) return this.onClientFrame(conn, data.toString(), isBinary, log);
      if (authStarted) return; // frames sent while the token is being checked are ignored
      authStarted = true;
      clearTimeout(timer);
      void this.authenticate(conn, isBinary ? '' : data.toString()).catch((err) => {
        log.warn({ err: (err as Error).message }, 'websocket auth failed unexpectedly');
        socket.close(1011, 'internal error');
      });
    });
  }

  private async authenticate(conn: Conn, frame: string): Promise<void> {
    let token: string | null = null;
    try {
      const msg: unknown = JSON.parse(frame);
      if (Value.Check(AuthFrame, msg)) token = msg.accessToken;
    } catch {
      // not JSON: treated as a missing token below
    }
    if (!token) return conn.socket.close(WS_CLOSE.UNAUTHENTICATED, 'first frame must be {"type":"auth","accessToken":"..."}');
    let actor: Caller;
    try {
      actor = await this.p.identity.resolve(token);
    } catch (err) {
      if (err instanceof AppError && err.code === 'ACCOUNT_SUSPENDED') return conn.socket.close(WS_CLOSE.SUSPENDED, 'account suspended');
      if (err instanceof AppError) return conn.socket.close(WS_CLOSE.UNAUTHENTICATED, 'invalid or expired access token');
      throw err;
    }
    if (conn.socket.readyState !== conn.socket.OPEN) return;
    const conns = this.byUser.get(actor.userId) ?? new Set<Conn>();
    if (conns.size >= this.p.config.wsMaxConnectionsPerUser) {
      return conn.socket.close(WS_CLOSE.TOO_MANY_CONNECTIONS, 'too many connections for this user');
    }
    conn.actor = actor;
    conns.add(conn);
    this.byUser.set(actor.userId, conns);
    const ready: Static<typeof ReadyFrame> = { type: 'ready', userId: actor.userId, heartbeatMs: this.p.config.wsHeartbeatMs };
    conn.socket.send(JSON.stringify(ready));
  }

  /**
   * After auth, clients may send `{"type":"ping"}` (answered with pong) and the frame types modules
   * registered (ClientFrames); other frames are ignored.
   */
  private onClientFrame(conn: Conn, text: string, isBinary: boolean, log: FastifyRequest['log']): void {
    if (isBinary) return;
    let frame: ClientFrame;
    try {
      frame = JSON.parse(text) as ClientFrame;
    } catch {
      return;
    }
    if (!frame || typeof frame !== 'object' || Array.isArray(frame)) return;
    if (frame.type === 'ping') return conn.socket.send(PONG);
    const scope = conn.actor?.frameScope;
    if (scope && !(typeof frame.type === 'string' && frame.type.startsWith(scope))) return;
    const handler = this.p.frames.handlerFor(frame.type);
    if (!handler) return;
    if (conn.pending >= MAX_PENDING_FRAMES) return conn.socket.close(WS_CLOSE.POLICY_VIOLATION, 'too many frames pending');
    this.enqueue(conn, log, () => handler(this.viewOf(conn), frame));
  }

  private enqueue(conn: Conn, log: FastifyRequest['log'], work: () => void | Promise<void>): void {
    conn.pending++;
    conn.chain = conn.chain
      .then(work)
      .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'websocket frame handler failed'))
      .finally(() => {
        conn.pending--;
      });
  }

  private viewOf(conn: Conn): ClientConnection {
    const actor = conn.actor!;
    conn.view ??= {
      id: conn.id,
      actor,
      meta: { actor, ip: conn.ip, requestId: conn.requestId },
      send: (frame) => {
        if (conn.socket.readyState === conn.socket.OPEN) conn.socket.send(JSON.stringify(frame));
      },
      isOpen: () => conn.socket.readyState === conn.socket.OPEN,
    };
    return conn.view;
  }

  private remove(conn: Conn, log: FastifyRequest['log']): void {
    if (this.all.delete(conn)) wsConnections.dec();
    if (!conn.actor) return;
    const conns = this.byUser.get(conn.actor.userId);
    conns?.delete(conn);
    if (conns && conns.size === 0) this.byUser.delete(conn.actor.userId);
    const view = this.viewOf(conn);
    for (const handler of this.p.frames.disconnectHandlers()) this.enqueue(conn, log, () => handler(view));
  }

  /**
   * Drops sockets that did not answer the previous ping, pings the rest, and closes sockets whose session
   * was revoked or whose account was suspended since they authenticated (one query per beat for all).
   */
  /**
   * Terminates the sockets that missed the previous ping. Runs after the session check, so a socket whose
   * session ended is closed with 4401/4403 rather than cut (1006), and after the loop turn has read the
   * sockets (setImmediate runs after the I/O phase): a beat that runs late (the event loop was busy) would
   * otherwise drop live clients whose pong is waiting unread. A socket already closing finishes its handshake.
   */
  private dropSilent(silent: Conn[]): void {
    if (!silent.length) return;
    setImmediate(() => {
      for (const c of silent) if (!c.alive && c.socket.readyState === c.socket.OPEN) c.socket.terminate();
    });
  }

  private async beat(): Promise<void> {
    const silent: Conn[] = [];
    for (const c of this.all) {
      // A socket already closing (e.g. 4401 after its session ended) finishes its close handshake; a
      // terminate now could drop the close frame before it is flushed and the client would see 1006.
      if (c.socket.readyState !== c.socket.OPEN) continue;
      // Two missed pings in a row, not one: a server whose event loop was held up (a long query on the
      // embedded engine runs on it) must not cut a live client whose pong is merely late.
      if (!c.alive && ++c.missed >= 2) {
        silent.push(c);
        continue;
      }
      c.alive = false;
      c.socket.ping();
    }
    const sessions = [...this.all].filter((c) => c.actor && c.socket.readyState === c.socket.OPEN).map((c) => c.actor!.sessionId);
    if (!sessions.length) return this.dropSilent(silent);
    try {
      const ended = await this.p.identity.endedSessions(sessions);
      for (const c of this.all) {
        if (!c.actor || !ended.has(c.actor.sessionId) || c.socket.readyState !== c.socket.OPEN) continue;
        if (ended.get(c.actor.sessionId) === 'SUSPENDED') c.socket.close(WS_CLOSE.SUSPENDED, 'account suspended');
        else c.socket.close(WS_CLOSE.UNAUTHENTICATED, 'session ended');
      }
    } catch (err) {
      this.p.log.warn({ err: (err as Error).message }, 'websocket session check failed');
    }
    this.dropSilent(silent);
  }
}
