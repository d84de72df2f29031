import { availableParallelism } from 'node:os';
import argon2 from 'argon2';
import type { Config } from './config.ts';

/**
 * argon2id hashing and verification. At most `concurrency` hashes run at once (default: cores - 1), so
 * a login flood queues its hashes instead of taking every core from the event loop that serves the
 * rest of the API.
 */
export class Passwords {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly params: Config['argon2'],
    private readonly concurrency = Math.max(1, availableParallelism() - 1),
  ) {}

  hash(password: string): Promise<string> {
    return this.limited(() => argon2.hash(password, { type: argon2.argon2id, ...this.params }));
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await this.limited(() => argon2.verify(hash, password));
    } catch {
      return false;
    }
  }

  private async limited<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await work();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }

  /**
   * A hash to verify against when the account does not exist, so that unknown users cost the same
   * time as wrong passwords and the timing does not reveal which usernames exist.
   */
  private dummy: Promise<string> | null = null;
  async verifyDummy(password: string): Promise<false> {
    this.dummy ??= this.hash('telecare-dummy-password');
    await this.verify(await this.dummy, password);
    return false;
  }
}
