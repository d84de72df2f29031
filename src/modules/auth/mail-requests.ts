import type { Platform } from '../../platform/platform.ts';
import * as repo from './repo.ts';
import { handleMailRequest } from './verification.ts';
import { PollingWorker } from '../../platform/worker.ts';

/**
 * Works off the forgot-password / resend-verification requests (migration 0009) outside the request
 * path. A pass starts shortly after a request is queued (not at once, so it does not sit in the timing
 * of the very next request) and every OUTBOX_POLL_MS otherwise, which also picks up requests queued by
 * another instance or before a restart. Each request is taken, handled and deleted in one transaction.
 */
async function drain(p: Platform, stopping: () => boolean): Promise<void> {
  let queued = 0;
  while (!stopping()) {
    const handled = await p.db.transaction(async (tx) => {
      const r = await repo.takeMailRequest(tx);
      if (!r) return null;
      return handleMailRequest(p, tx, r);
    });
    if (handled === null) break;
    if (handled) queued++;
  }
  if (queued) p.mail.kick();
}

const KICK_DELAY_MS = 25;
const workers = new WeakMap<Platform, PollingWorker>();

/** Starts the worker of this app (the auth plugin calls it on ready) and returns its stop function. */
export function startMailRequests(p: Platform): () => Promise<void> {
  const w: PollingWorker = new PollingWorker({
    name: 'mail request pass',
    log: p.log,
    pass: () => drain(p, () => w.stopping),
    intervalMs: () => p.config.outboxPollMs,
    kickDelayMs: KICK_DELAY_MS,
  });
  workers.set(p, w);
  w.start();
  return () => w.stop();
}

export function kickMailRequests(p: Platform): void {
  workers.get(p)?.kick();
}
