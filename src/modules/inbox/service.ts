// The in-portal notification list (issue 25, point 5). Modules add entries with `notify` inside the
// transaction of the change that causes them (as they queue mail through the outbox), so an entry exists
// exactly when its change commits. Entries point at what they concern and carry no text: the portal words
// them from the catalogue, so nothing medical (a reason, a message, a prescription item) is ever stored or sent.
// The announcer then sends each committed entry once over the WebSocket (`notification.created`), from
// whichever instance claims it first (SKIP LOCKED), as the waitlist worker announces offers.
import { nowMs } from '../../platform/clock.ts';
import type { Executor } from '../../platform/db/index.ts';
import { notFound } from '../../platform/errors.ts';
import { DEFAULT_LIMIT, cursorCodec, toPage } from '../../platform/pagination.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Actor } from '../auth/index.ts';
import * as repo from './repo.ts';
import type { Notification } from './schemas.ts';
import { PollingWorker } from '../../platform/worker.ts';

export type { NewNotification } from './repo.ts';

/**
 * Adds entries for their recipients in `tx` (the transaction of the change). An entry for the one who acted
 * (`actorId`) is dropped: nobody is notified of their own doing. Costs no round trip (the statement leaves
 * with the COMMIT).
 */
export async function notify(p: Platform, tx: Executor, items: repo.NewNotification[], actorId?: string | null): Promise<void> {
  const at = new Date(nowMs(p));
  for (const n of items) {
    if (actorId && n.userId === actorId) continue;
    await repo.insert(tx, n, at);
  }
}

export function toNotification(r: repo.NotificationRow): Notification {
  return {
    id: r.id,
    kind: r.kind,
    createdAt: new Date(r.created_at).toISOString(),
    readAt: r.read_at ? new Date(r.read_at).toISOString() : null,
    count: Number(r.count),
    appointmentId: r.appointment_id,
    prescriptionId: r.prescription_id,
    person:
      r.person_id && r.firstname !== null && r.lastname !== null && r.role !== null
        ? { id: r.person_id, firstname: r.firstname, lastname: r.lastname, role: r.role }
        : null,
  };
}

const SEQ_CURSOR = cursorCodec('int');

export async function list(p: Platform, actor: Actor, q: { limit?: number; cursor?: string; unread?: boolean }) {
  const limit = q.limit ?? DEFAULT_LIMIT;
  const cursor = SEQ_CURSOR.decode(q.cursor);
  const rows = await repo.page(p.database, p.db, actor.userId, {
    unread: q.unread === true,
    before: cursor ? cursor[0] : null,
    limit: limit + 1,
  });
  return toPage(rows, limit, (r) => [Number(r.seq)], toNotification);
}

export async function unreadCount(p: Platform, actor: Actor): Promise<{ count: number }> {
  return { count: await repo.unreadCount(p.database, p.db, actor.userId) };
}

/** Another user's entry, or none, is 404 alike: ids of others' entries are not disclosed. */
export async function markRead(p: Platform, actor: Actor, id: string): Promise<void> {
  if (!(await repo.markRead(p.database, p.db, actor.userId, id, new Date(nowMs(p))))) throw notFound('notification');
}

export async function markAllRead(p: Platform, actor: Actor): Promise<void> {
  await repo.markAllRead(p.database, p.db, actor.userId, new Date(nowMs(p)));
}

/** The recipient read the conversation with `personId`: its "new messages" entry is read too (in the caller's transaction). */
export async function conversationRead(p: Platform, tx: Executor, userId: string, personId: string): Promise<void> {
  await repo.markConversationRead(p.database, tx, userId, personId, new Date(nowMs(p)));
}

const BATCH = 50;

/**
 * Sends `notification.created` for every committed entry not yet announced, once across instances: each
 * batch is claimed with SKIP LOCKED and stamped in its transaction, and published after it commits.
 * Kicked after changes (`kick`) and on every real-time event this instance delivers (the changes that make
 * entries publish one after their commit); otherwise it polls.
 */
export class Announcer {
  private unsubscribe: (() => void) | null = null;
  private readonly loop: PollingWorker;

  constructor(private readonly p: Platform) {
    this.loop = new PollingWorker({
      name: 'notification announce',
      log: p.log,
      pass: () => this.pass(),
      intervalMs: () => p.config.reminderPollMs,
    });
  }

  start(): void {
    this.unsubscribe = this.p.bus.onEvent((_users, event) => {
      if (event.type !== 'notification.created') this.kick();
    });
    this.loop.start();
  }

  kick(): void {
    this.loop.kick();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.loop.stop();
  }

  async pass(): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await this.p.db.transaction((tx) => repo.claimUnannounced(this.p.database, tx, BATCH, new Date(nowMs(this.p))));
      for (const r of rows) await this.p.bus.publish([r.user_id], { type: 'notification.created', notification: toNotification(r) });
      total += rows.length;
      if (rows.length < BATCH || this.loop.stopping) return total;
    }
  }
}

const announcers = new WeakMap<Platform, Announcer>();

export function startAnnouncer(p: Platform): Announcer {
  const a = new Announcer(p);
  announcers.set(p, a);
  a.start();
  return a;
}

/** Asks this instance's announcer for a pass now: call after committing a change that notified someone. */
export function kick(p: Platform): void {
  announcers.get(p)?.kick();
}
