import type { Platform } from '../../platform/platform.ts';
import * as repo from './repo.ts';
import { handleMailRequest } from './verification.ts';

/**
 * Works off the forgot-password / resend-verification requests (migration 0009) outside the request
 * path. A pass starts shortly after a request is queued (not at once, so it does not sit in the timing
 * of the very next request) and every OUTBOX_POLL_MS otherwise, which also picks up requests queued by
 * another instance or before a restart. Each request is taken, handled and deleted in one transaction.
 */
class MailRequestWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;

  constructor(private readonly p: Platform) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  kick(): void {
    // An already scheduled pass will see the new row; don't postpone it.
    if (!this.stopped && !this.timer) this.schedule(KICK_DELAY_MS);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.running) return this.schedule(KICK_DELAY_MS);
      this.running = this.drain()
        .catch((err) => this.p.log.warn({ err: (err as Error).message }, 'mail request pass failed'))
        .finally(() => {
          this.running = null;
          this.schedule(this.p.config.outboxPollMs);
        });
    }, ms);
    this.timer.unref();
  }

  private async drain(): Promise<void> {
    let queued = 0;
    while (!this.stopped) {
      const handled = await this.p.db.transaction(async (tx) => {
        const r = await repo.takeMailRequest(tx);
        if (!r) return null;
        return handleMailRequest(this.p, tx, r);
      });
      if (handled === null) break;
      if (handled) queued++;
    }
    if (queued) this.p.mail.kick();
  }
}

const KICK_DELAY_MS = 25;
const workers = new WeakMap<Platform, MailRequestWorker>();

/** Starts the worker of this app (the auth plugin calls it on ready) and returns its stop function. */
export function startMailRequests(p: Platform): () => Promise<void> {
  const w = new MailRequestWorker(p);
  workers.set(p, w);
  w.start();
  return () => w.stop();
}

export function kickMailRequests(p: Platform): void {
  workers.get(p)?.kick();
}
