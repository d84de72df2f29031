import { availableParallelism } from 'node:os';
import argon2 from 'argon2';
import type { Config } from './config.ts';
import { AppError } from './errors.ts';

/**
 * argon2id hashing and verification. At most `concurrency` hashes run at once (default: cores - 1), so
 * a login flood queues its hashes instead of taking every core from the event loop that serves the
 * rest of the API; at most `maxQueue` wait behind them, and one more answers 503 UNAVAILABLE with
 * Retry-After at once, so a flood of anonymous hashing requests cannot turn into multi-second waits
 * for everyone's login.
 */
export class Passwords {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  /** Moving average of one hash's duration, for an honest Retry-After. */
  private averageMs = 50;

  constructor(
    private readonly params: Config['argon2'],
    private readonly concurrency = Math.max(1, availableParallelism() - 1),
    private readonly maxQueue = Number.POSITIVE_INFINITY,
    /** Longest expected wait (queue × average hash time) before shedding, whatever the queue's length. */
    private readonly maxWaitMs = Number.POSITIVE_INFINITY,
  ) {}

  /** Hashes being computed and waiting, for metrics and tests. */
  get load(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }

  hash(password: string): Promise<string> {
    return this.limited(() => argon2.hash(password, { type: argon2.argon2id, ...this.params }));
  }

  /** False for a wrong password or an unreadable stored hash; a full queue still throws UNAVAILABLE. */
  verify(hash: string, password: string): Promise<boolean> {
    return this.limited(async () => {
      try {
        return await argon2.verify(hash, password);
      } catch {
        return false;
      }
    });
  }

  private async limited<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) {
      // A count alone is no bound in time when the machine is slow (each hash takes longer under load).
      const expectedWaitMs = ((this.waiting.length + 1) * this.averageMs) / this.concurrency;
      if (this.waiting.length >= this.maxQueue || expectedWaitMs > this.maxWaitMs) {
        const seconds = Math.max(1, Math.ceil(expectedWaitMs / 1000));
        throw new AppError('UNAVAILABLE', 'The server is busy; try again shortly', undefined, { 'retry-after': String(seconds) });
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.active++;
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.averageMs = 0.8 * this.averageMs + 0.2 * (performance.now() - started);
      this.active--;
      this.waiting.shift()?.();
    }
  }

  /**
   * A hash to verify against when the account does not exist, so that unknown users cost the same
   * time as wrong passwords and the timing does not reveal which usernames exist. It goes through the
   * same queue (and the same 503 when it is full) as a real verification.
   */
  private dummy: Promise<string> | null = null;
  async verifyDummy(password: string): Promise<false> {
    this.dummy ??= argon2.hash('telecare-dummy-password', { type: argon2.argon2id, ...this.params });
    await this.verify(await this.dummy, password);
    return false;
  }
}
