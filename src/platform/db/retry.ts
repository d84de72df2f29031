import { sqlState, type Db, type Executor } from './index.ts';

/** Deadlock (40P01) or serialization failure (40001): PostgreSQL rolled the transaction back, and running it again is safe. */
export function isTransientConflict(err: unknown): boolean {
  const state = sqlState(err);
  return state === '40P01' || state === '40001';
}

export interface RetryOptions {
  /** Runs in all, the first included (default 5). */
  attempts?: number;
  /** Whether a failed run may run again (default: a deadlock or serialization failure). */
  retryOn?: (err: unknown) => boolean;
  /** Turns an error into the one to throw instead, without retrying (e.g. a constraint into a 409). */
  translate?: (err: unknown) => Error | null;
  /** The error to throw when the last run failed with a retryable error (default: that error). */
  exhausted?: (err: unknown) => Error;
}

/**
 * The one transaction-retry rule: runs `work` in a transaction and again, from the start, when PostgreSQL broke
 * a deadlock or a serialization conflict (two bookings racing inside an exclusion-constraint check, two
 * workers claiming the same rows). `work` must have no effects outside the transaction.
 */
export async function retryingTransaction<T>(db: Db, work: (tx: Executor) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 5;
  const retryOn = opts.retryOn ?? isTransientConflict;
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work);
    } catch (err) {
      const translated = opts.translate?.(err);
      if (translated) throw translated;
      if (!retryOn(err)) throw err;
      if (attempt >= attempts) throw opts.exhausted ? opts.exhausted(err) : err;
    }
  }
}
