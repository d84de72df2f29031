// The loop every background worker runs (reminders, message digests, mail requests, the notification announcer,
// the attachment sweeper): a pass on every instance every `intervalMs` (the database decides which instance does
// which row, with SKIP LOCKED), never two passes at once, sooner when kicked, and drained on stop. A failed pass is
// logged and retried at the next interval: the rows it did not finish are still there.
import type { Logger } from 'pino';

export interface PollingWorkerOptions {
  /** What the log calls this worker's pass ("reminder pass" → "reminder pass failed"). */
  name: string;
  log: Logger;
  /** One pass over what is due. */
  pass: () => Promise<unknown>;
  /** The pause after a pass; read after every pass, so a test's pinned configuration applies. */
  intervalMs: () => number;
  /** How soon a kick starts a pass (default at once; the mail-request worker waits a little, see its module). */
  kickDelayMs?: number;
}

export class PollingWorker {
  private timer: NodeJS.Timeout | null = null;
  private dueAt = Infinity;
  private running: Promise<unknown> | null = null;
  private again = false;
  private stopped = true;

  constructor(private readonly o: PollingWorkerOptions) {}

  /** True once stop() was called: a long pass may end early and leave the rest to the next start. */
  get stopping(): boolean {
    return this.stopped;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /**
   * A pass soon: within `kickDelayMs`, never later than one already due. During a pass, another follows it, so
   * rows committed while the pass read past them are not left to the next interval.
   */
  kick(): void {
    if (this.stopped) return;
    const delay = this.o.kickDelayMs ?? 0;
    if (this.running) this.again = true;
    else if (this.dueAt > Date.now() + delay) this.schedule(delay);
  }

  /** Stops the loop; resolves once a pass under way has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.dueAt = Infinity;
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.dueAt = Date.now() + ms;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.dueAt = Infinity;
      this.running = this.o
        .pass()
        .catch((err) => this.o.log.warn({ err: (err as Error).message }, `${this.o.name} failed`))
        .finally(() => {
          this.running = null;
          const next = this.again ? (this.o.kickDelayMs ?? 0) : this.o.intervalMs();
          this.again = false;
          this.schedule(next);
        });
    }, ms);
    this.timer.unref();
  }
}
