// The loop every background worker runs (the mail outbox, reminders, message digests, mail requests, the waitlist,
// the notification announcer, the attachment sweeper): a pass on every instance every `intervalMs` (the database decides which instance does
// which row, with SKIP LOCKED), never two passes at once, sooner when kicked, and drained on stop. A failed pass is
// logged and retried at the next interval: the rows it did not finish are still there.
import type { Logger } from 'pino';

export interface PollingWorkerOptions<T = unknown> {
  /** What the log calls this worker's pass ("reminder pass" → "reminder pass failed"). */
  name: string;
  log: Logger;
  /** One pass over what is due. */
  pass: () => Promise<T>;
  /** The pause after a pass; read after every pass, so a test's pinned configuration applies. */
  intervalMs: () => number;
  /** A shorter pause the pass asks for (the waitlist: its next offer's expiry); never longer than intervalMs. */
  sooner?: (result: T) => number;
  /** How soon a kick starts a pass (default at once; the mail-request worker waits a little, see its module). */
  kickDelayMs?: number;
}

export class PollingWorker<T = unknown> {
  private timer: NodeJS.Timeout | null = null;
  private dueAt = Infinity;
  private running: Promise<unknown> | null = null;
  private again = false;
  private stopped = true;

  private readonly o: Omit<PollingWorkerOptions, 'pass' | 'sooner'>;
  /** The pass, answering the pause it asks for (Infinity: the interval). */
  private readonly pass: () => Promise<number>;

  constructor(options: PollingWorkerOptions<T>) {
    const { pass, sooner, ...rest } = options;
    this.o = rest;
    this.pass = async () => {
      const result = await pass();
      return sooner ? Math.max(0, sooner(result)) : Infinity;
    };
  }

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
      let wanted = Infinity;
      this.running = this.pass()
        .then((ms) => {
          wanted = ms;
        })
        .catch((err) => this.o.log.warn({ err: (err as Error).message }, `${this.o.name} failed`))
        .finally(() => {
          this.running = null;
          const next = this.again ? (this.o.kickDelayMs ?? 0) : Math.min(wanted, this.o.intervalMs());
          this.again = false;
          this.schedule(next);
        });
    }, ms);
    this.timer.unref();
  }
}
