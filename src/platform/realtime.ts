import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import { eq, lt, sql } from 'drizzle-orm';
import { prepared, run, runWithCommit, type Database, type Executor } from './db/index.ts';
import { realtimeEvents } from './db/tables.ts';

/** What the bus and the hub need of an event: its `type`, by which clients and logs tell events apart. */
export interface BaseEvent {
  type: string;
}

/**
 * The application's list of real-time events, registered by declaration merging: src/modules/realtime/events.ts
 * adds `event: <the union of its schemas>`. The platform types its bus and hub by it without importing a
 * module (the platform must not know the features), and every `p.bus.publish(…)` is checked against it.
 * In a program without that module, any event goes (UntypedEvent).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by declaration merging
export interface RealtimeRegistry {}
/** Any event, for a program that registers no list. */
export interface UntypedEvent extends BaseEvent {
  [key: string]: unknown;
}
/** An event that modules publish through the bus, as the registered list defines it. */
export type RealtimeEvent = RealtimeRegistry extends { event: infer E extends BaseEvent } ? E : UntypedEvent;

/**
 * Narrows a delivery to some connections of the addressed users (the WebSocket hub's connection ids),
 * e.g. a video-visit signal for the one socket that joined the visit, not every tab of that user.
 */
export interface DeliveryTarget {
  connectionIds?: string[];
}

export type EventListener<E extends BaseEvent = RealtimeEvent> = (userIds: string[], event: E, target?: DeliveryTarget) => void;

/**
 * Delivers an event to every connection of the given users, on whichever instance they are. Generic over
 * the event type so the platform stays feature-blind; the application's bus carries RealtimeEvent.
 */
export interface RealtimeBus<E extends BaseEvent = RealtimeEvent> {
  /** This process's id: names its connections in shared state (e.g. video-visit presence). */
  readonly instanceId: string;
  publish(userIds: string[], event: E, target?: DeliveryTarget): Promise<void>;
  /**
   * Publishes as part of the caller's transaction `tx`: on the server engine the NOTIFY is sent by
   * `select pg_notify(…)` in `tx`, so other instances hear of the change when (and only if) it commits,
   * without a second round trip after the commit. Returns the local delivery, which the caller runs
   * once `tx` has committed (and drops if it rolled back).
   */
  publishIn(tx: Executor, userIds: string[], event: E, target?: DeliveryTarget): Promise<() => void>;
  /** Local delivery hook: the WebSocket hub listens here for events addressed to its users. */
  onEvent(listener: EventListener<E>): () => void;
  close(): Promise<void>;
}

/** One process (embedded engine): events go straight to local listeners. */
export class InProcessBus<E extends BaseEvent = RealtimeEvent> implements RealtimeBus<E> {
  readonly instanceId: string = randomUUID();
  protected readonly emitter = new EventEmitter().setMaxListeners(0);
  async publish(userIds: string[], event: E, target?: DeliveryTarget): Promise<void> {
    this.deliver(userIds, event, target);
  }
  async publishIn(_tx: Executor, userIds: string[], event: E, target?: DeliveryTarget): Promise<() => void> {
    return () => this.deliver(userIds, event, target);
  }
  protected deliver(userIds: string[], event: E, target?: DeliveryTarget): void {
    this.emitter.emit('event', userIds, event, target);
  }
  onEvent(listener: EventListener<E>): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}

export const CHANNEL = 'telecare_events';
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; keep a margin for the envelope. */
const MAX_INLINE_BYTES = 7500;
const SPILL_RETENTION = sql`interval '1 hour'`;
// The hot path, a named prepared statement: every event the bus publishes sends one NOTIFY.
export const NOTIFY = prepared('realtime_notify', 'SELECT pg_notify($1, $2)');

/** Stores an event too large to inline (rare: the spill path is not a hot one) and answers the row's id. */
async function spill(ex: Executor, stored: string): Promise<number> {
  const [row] = await ex.insert(realtimeEvents).values({ payload: stored }).returning({ id: realtimeEvents.id });
  return row.id;
}

interface Envelope<E extends BaseEvent> {
  /** Origin instance: it has already delivered locally and skips its own notification. */
  o: string;
  u?: string[];
  e?: E;
  /** Connection ids the delivery is narrowed to (DeliveryTarget). */
  c?: string[];
  /** Id of a row in realtime_events holding {u, e, c} when the event is too large to inline. */
  r?: number;
}

/**
 * Fan-out across instances sharing one PostgreSQL server: local listeners get the event at once, other
 * instances through NOTIFY on a dedicated LISTEN connection that reconnects when it drops. Events larger
 * than a NOTIFY payload are written to realtime_events and notified by id; rows are pruned after an hour.
 * Delivery is at most once: an event published while an instance's LISTEN connection is down does not
 * reach that instance's sockets (clients resynchronise by fetching history when they reconnect).
 */
export class PgNotifyBus<E extends BaseEvent = RealtimeEvent> extends InProcessBus<E> {
  private client: pg.Client | null = null;
  private closed = false;
  private retryMs = 100;
  private retryTimer: NodeJS.Timeout | null = null;
  private pruneTimer: NodeJS.Timeout | null = null;
  private ready: Promise<void> | null = null;
  private inbound: Promise<void> = Promise.resolve();

  constructor(
    private readonly database: Database,
    private readonly url: string,
    private readonly log: Logger,
  ) {
    super();
  }

  async start(): Promise<void> {
    try {
      await this.connect();
    } catch (err) {
      await this.close();
      throw err;
    }
    this.pruneTimer = setInterval(() => void this.prune(), 10 * 60_000);
    this.pruneTimer.unref();
  }

  /** Resolves once this instance listens; tests and benchmarks use it before counting on delivery. */
  listening(): Promise<void> {
    return this.ready ?? Promise.resolve();
  }

  private connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, keepAlive: true, connectionTimeoutMillis: 3000 });
    client.on('notification', (n) => {
      // One after the other: an event stored by reference must not be overtaken by the inline events
      // published after it (a video-visit offer before its ICE candidates).
      if (n.channel === CHANNEL && n.payload) this.inbound = this.inbound.then(() => this.onNotification(n.payload!));
    });
    const lost = (why: string) => {
      if (this.client !== client) return;
      this.client = null;
      client.removeAllListeners('notification');
      client.end().catch(() => undefined);
      if (!this.closed) {
        this.log.warn({ why, retryMs: this.retryMs }, 'realtime LISTEN connection lost; reconnecting');
        this.scheduleReconnect();
      }
    };
    client.on('error', (err) => lost(err.message));
    client.on('end', () => lost('connection ended'));
    this.client = client;
    this.ready = (async () => {
      try {
        await client.connect();
        await client.query(`LISTEN ${CHANNEL}`);
        this.retryMs = 100;
      } catch (err) {
        lost((err as Error).message);
        throw err;
      }
    })();
    return this.ready;
  }

  private scheduleReconnect(): void {
    if (this.retryTimer || this.closed) return;
    const wait = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, 5000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect().catch(() => undefined);
    }, wait);
    this.retryTimer.unref();
  }

  /** Never throws: the change the event reports is already committed; a lost fan-out is only logged. */
  override async publish(userIds: string[], event: E, target?: DeliveryTarget): Promise<void> {
    this.deliver(userIds, event, target);
    try {
      await this.notify(userIds, event, target);
    } catch (err) {
      this.log.warn({ err: (err as Error).message, type: event.type }, 'realtime NOTIFY failed; other instances miss this event');
    }
  }

  /** The NOTIFY goes out with `tx`'s commit; this instance delivers locally when the caller says it committed. */
  override async publishIn(tx: Executor, userIds: string[], event: E, target?: DeliveryTarget): Promise<() => void> {
    const c = target?.connectionIds;
    let payload = JSON.stringify({ o: this.instanceId, u: userIds, e: event, c } satisfies Envelope<E>);
    if (Buffer.byteLength(payload) > MAX_INLINE_BYTES) {
      const r = await spill(tx, JSON.stringify({ u: userIds, e: event, c }));
      payload = JSON.stringify({ o: this.instanceId, r } satisfies Envelope<E>);
    }
    // PostgreSQL delivers a NOTIFY at COMMIT and nobody reads its result: it leaves with the COMMIT.
    await runWithCommit(tx, NOTIFY, [CHANNEL, payload]);
    return () => this.deliver(userIds, event, target);
  }

  private async notify(userIds: string[], event: E, target?: DeliveryTarget): Promise<void> {
    const c = target?.connectionIds;
    let payload = JSON.stringify({ o: this.instanceId, u: userIds, e: event, c } satisfies Envelope<E>);
    if (Buffer.byteLength(payload) > MAX_INLINE_BYTES) {
      const r = await spill(this.database.db, JSON.stringify({ u: userIds, e: event, c }));
      payload = JSON.stringify({ o: this.instanceId, r } satisfies Envelope<E>);
    }
    await run(this.database.db, NOTIFY, [CHANNEL, payload]);
  }

  private async onNotification(payload: string): Promise<void> {
    try {
      const env = JSON.parse(payload) as Envelope<E>;
      if (env.o === this.instanceId) return;
      if (env.u && env.e) return this.deliver(env.u, env.e, env.c ? { connectionIds: env.c } : undefined);
      if (typeof env.r === 'number') {
        const [row] = await this.database.db
          .select({ payload: realtimeEvents.payload })
          .from(realtimeEvents)
          .where(eq(realtimeEvents.id, env.r));
        if (!row) return;
        // Written by an instance of this application: an event of its list.
        const stored = JSON.parse(row.payload) as { u: string[]; e: E; c?: string[] };
        this.deliver(stored.u, stored.e, stored.c ? { connectionIds: stored.c } : undefined);
      }
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'dropped an unreadable realtime notification');
    }
  }

  private async prune(): Promise<void> {
    await this.database.db
      .delete(realtimeEvents)
      .where(lt(realtimeEvents.createdAt, sql`now() - ${SPILL_RETENTION}`))
      .catch((err: Error) => this.log.warn({ err: err.message }, 'pruning realtime_events failed'));
  }

  override async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    const c = this.client;
    this.client = null;
    // A LISTEN client cut off mid-connect (server restart, failover) may never report its end: shutdown
    // waits for it at most 2 s rather than forever.
    if (c) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([c.end().catch(() => undefined), new Promise<void>((r) => (timer = setTimeout(r, 2000)))]);
      clearTimeout(timer);
    }
    await super.close();
  }
}

/**
 * The bus for this engine. The embedded engine is one process, so in-process delivery is complete; a
 * PostgreSQL server may be shared by several instances, which fan out through LISTEN/NOTIFY.
 */
export async function createBus<E extends BaseEvent = RealtimeEvent>(database: Database, log: Logger): Promise<RealtimeBus<E>> {
  if (database.engine === 'postgres' && database.url && database.pool) {
    const bus = new PgNotifyBus<E>(database, database.url, log);
    await bus.start();
    return bus;
  }
  return new InProcessBus<E>();
}
