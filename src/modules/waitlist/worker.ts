// The per-instance waitlist worker: expires offers whose hold ran out (even if nobody asks) and passes
// their slot on, and sends the `waitlist.offer` event of every new offer once it has committed. Every
// instance runs one; rows are claimed with FOR UPDATE SKIP LOCKED and changed under conditions, so two
// instances never expire or announce the same offer twice.
import type { Executor } from '../../platform/db/index.ts';
import { retryingTransaction } from '../../platform/db/retry.ts';
import type { Platform } from '../../platform/platform.ts';
import { nowMs } from '../../platform/clock.ts';
import { PollingWorker } from '../../platform/worker.ts';
import { releaseHold } from '../appointments/index.ts';
import { offerReleasedSlot } from './offers.ts';
import * as repo from './repo.ts';
import { toOffer } from './schemas.ts';

const BATCH = 20;

/** Ends a live offer (declined, expired, withdrawn): its hold goes, its entry waits again, its slot moves on. */
export async function releaseOffer(
  p: Platform,
  tx: Executor,
  offer: repo.OfferRow,
  status: 'DECLINED' | 'EXPIRED' | 'WITHDRAWN',
): Promise<void> {
  await repo.resolveOffer(tx, offer.id, status);
  if (offer.holdId) await releaseHold(tx, offer.holdId);
  await repo.setEntryStatus(tx, offer.entryId, 'WAITING', 'OFFERED');
  await offerReleasedSlot(p, tx, offer);
}

export class WaitlistWorker {
  private readonly loop: PollingWorker<number>;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly p: Platform) {
    this.loop = new PollingWorker({
      name: 'waitlist pass',
      log: p.log,
      pass: () => this.pass(),
      intervalMs: () => p.config.waitlistPollMs,
      sooner: (wait) => wait,
    });
  }

  start(): void {
    // A cancelled or moved appointment may have produced an offer in its transaction: its event is
    // published after the commit, which makes it the moment to announce the offer.
    this.unsubscribe = this.p.bus.onEvent((_users, event) => {
      if (event.type === 'appointment.updated') this.kick();
    });
    this.loop.start();
  }

  /** Asks for a pass now (after a commit that made, ended or may have made offers). */
  kick(): void {
    this.loop.kick();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.loop.stop();
  }

  private get stopped(): boolean {
    return this.loop.stopping;
  }

  /** One pass; returns how long to wait before the next: the poll interval or the next expiry, if sooner. */
  async pass(): Promise<number> {
    await this.expireDue();
    await this.announce();
    const next = await repo.nextExpiry(this.p.db);
    const poll = this.p.config.waitlistPollMs;
    return next ? Math.max(0, Math.min(poll, next.getTime() - nowMs(this.p))) : poll;
  }

  /** Expires every offer whose hold has run out, a batch per transaction. */
  async expireDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await retryingTransaction(this.p.db, async (tx) => {
        const due = await repo.lockDueOffers(tx, new Date(nowMs(this.p)), BATCH);
        for (const offer of due) await releaseOffer(this.p, tx, offer, 'EXPIRED');
        return due.length;
      });
      total += n;
      if (n < BATCH || this.stopped) break;
    }
    return total;
  }

  /** Publishes the event of each committed offer not yet announced (at most once, like every event). */
  async announce(): Promise<number> {
    let total = 0;
    for (;;) {
      const offers = await this.p.db.transaction((tx) => repo.claimUnsent(tx, BATCH));
      for (const o of offers) {
        // The bus is typed by realtime's frame list (a higher layer): the literal is checked against it there.
        await this.p.bus.publish([o.patientId], { type: 'waitlist.offer', offer: toOffer(o) });
      }
      if (offers.length) this.p.mail.kick();
      total += offers.length;
      if (offers.length < BATCH || this.stopped) break;
    }
    return total;
  }
}

const workers = new WeakMap<Platform, WaitlistWorker>();

export function startWorker(p: Platform): WaitlistWorker {
  const w = new WaitlistWorker(p);
  workers.set(p, w);
  w.start();
  return w;
}

/** Wakes this instance's worker, e.g. right after a commit that made or ended offers. */
export function kickWaitlist(p: Platform): void {
  workers.get(p)?.kick();
}
