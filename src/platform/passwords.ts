import argon2 from 'argon2';
import type { Config } from './config.ts';

export class Passwords {
  constructor(private readonly params: Config['argon2']) {}

  hash(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id, ...this.params });
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
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
