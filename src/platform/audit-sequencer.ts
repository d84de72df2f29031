// The audit chain's sequencer: requests insert their events unchained; this loop appends the committed
// ones to the chain after the fact, in batches, through the database's audit_chain_batch() (see
// migrations/0020_audit_sequencer.sql for the order and why it has no gap and no fork).
//
// Every instance runs one. Each batch is one transaction that first takes a transaction-level advisory
// lock: the instance that gets it is the sequencer for that batch, the others skip the tick. An instance
// that dies mid-batch loses its connection, the batch rolls back, the lock goes with it, and the next
// tick of any instance carries on from the head it left: fail-over takes one interval.
import pg from 'pg';
import type { Logger } from 'pino';
import type { Database } from './db/index.ts';

export interface SequencerOptions {
  /** Pause between passes; an event is chained within about this long after its transaction commits. */
  intervalMs: number;
  /** Events per batch (one transaction); a pass runs batches until one comes back short. */
  batchSize: number;
  /**
   * A separate connection for the sequencer (a role that may only execute audit_chain_batch); null
   * uses the application's own database connection.
   */
  url: string | null;
  log?: Logger;
}

export interface ChainPass {
  /** Events chained by this pass. */
  chained: number;
  /** False when another instance held the sequencer role during the pass. */
  held: boolean;
}

export class AuditSequencer {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<ChainPass> | null = null;
  private stopped = false;
  private failing = false;
  private readonly ownPool: pg.Pool | null;

  constructor(
    private readonly database: Database,
    private readonly opts: SequencerOptions,
  ) {
    this.ownPool = opts.url
      ? new pg.Pool({ connectionString: opts.url, max: 1, idleTimeoutMillis: 10_000, connectionTimeoutMillis: 3000 })
      : null;
    this.ownPool?.on('error', (err) => opts.log?.warn({ err: err.message }, 'audit sequencer connection error'));
  }

  private async batch(): Promise<number> {
    const text = 'SELECT audit_chain_batch($1) AS n';
    const values = [this.opts.batchSize];
    if (this.ownPool) return (await this.ownPool.query<{ n: number }>(text, values)).rows[0]!.n;
    if (this.database.pool) return (await this.database.pool.query<{ n: number }>(text, values)).rows[0]!.n;
    return (await this.database.pglite!.query<{ n: number }>(text, values)).rows[0]!.n;
  }

  /** Reads go through the application's connection: the sequencer role may run audit_chain_batch and nothing else. */
  private async query<T>(text: string): Promise<T[]> {
    if (this.database.pool) return (await this.database.pool.query(text)).rows as T[];
    return (await this.database.pglite!.query<T>(text)).rows;
  }

  /** One pass: batches until the committed backlog below the horizon is chained. One pass at a time per instance. */
  runOnce(): Promise<ChainPass> {
    this.running ??= (async () => {
      let chained = 0;
      try {
        for (;;) {
          const n = await this.batch();
          if (n < 0) return { chained, held: false };
          chained += n;
          if (n < this.opts.batchSize) return { chained, held: true };
        }
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /**
   * Waits until every event committed before the call is chained (by this instance or another): the
   * transactions running at the call must have ended, then one pass chains what they left. For tests,
   * shutdown and the CLI.
   */
  async flush(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const [{ target }] = await this.query<{ target: string }>('SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS target');
    for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
      // The horizon passed the target: this database's transactions running at the call have ended and
      // their events are chained (other databases' transactions on the same server do not count).
      const [{ done }] = await this.query<{ done: boolean }>(`SELECT (SELECT horizon FROM audit_chain_head) >= ${BigInt(target)} AS done`);
      if (done) return;
      // Another instance may hold the role: its pass moves the horizon just as well.
      await this.runOnce();
      if (Date.now() > deadline) throw new Error('audit chain flush timed out: a writing transaction is still running');
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  start(): void {
    if (this.timer || this.stopped) return;
    const tick = async () => {
      try {
        await this.runOnce();
        if (this.failing) this.opts.log?.info('audit sequencer recovered');
        this.failing = false;
      } catch (err) {
        // Logged once per outage; the next tick retries, and nothing is lost: the events wait unchained.
        if (!this.failing) this.opts.log?.error({ err: (err as Error).message }, 'audit sequencer pass failed; retrying');
        this.failing = true;
      }
      if (!this.stopped) this.timer = setTimeout(() => void tick(), this.opts.intervalMs); // tick catches its own errors
    };
    this.timer = setTimeout(() => void tick(), this.opts.intervalMs); // tick catches its own errors
  }

  /** Stops the loop; a last pass chains what this instance's own requests committed (best effort). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
    await this.runOnce().catch(() => undefined);
    await this.ownPool?.end();
  }
}
