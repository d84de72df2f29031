// Idempotency-Key for booking, stored in the database so every instance shares it.
import { createHash } from 'node:crypto';
import { and, eq, lte, sql } from 'drizzle-orm';
import { integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { AppError } from '../../platform/errors.ts';
import type { Executor } from '../../platform/db/index.ts';
import { ts } from '../../platform/db/tables.ts';

export const idempotencyKeys = pgTable('idempotency_keys', {
  userId: uuid('user_id').notNull(),
  key: text('key').notNull(),
  requestHash: text('request_hash').notNull(),
  statusCode: integer('status_code'),
  response: jsonb('response'),
  createdAt: ts('created_at').notNull().defaultNow(),
  expiresAt: ts('expires_at').notNull(),
});

export const IDEMPOTENCY_TTL_HOURS = 24;

/** Same JSON value → same hash, whatever the order of its keys. */
export function requestHash(body: unknown): string {
  const canon = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canon)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canon((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(canon(body)))
    .digest('hex');
}

/** The claim lost a race with an expiry; the caller retries its transaction. */
export class ClaimRace extends Error {}

export interface Replay {
  statusCode: number;
  body: unknown;
}

/**
 * Claims (user, key) inside the caller's transaction. Returns null when this request owns the key and
 * must do the work (then `remember` in the same transaction), or the first response to replay.
 * A concurrent request with the same key blocks on the primary key until the owner commits or rolls back.
 */
export async function claim(ex: Executor, userId: string, key: string, hash: string): Promise<Replay | null> {
  // Expired keys of this user go now (this one included), which keeps the table to a day of keys per user.
  await ex.delete(idempotencyKeys).where(and(eq(idempotencyKeys.userId, userId), lte(idempotencyKeys.expiresAt, sql`now()`)));
  const claimed = await ex
    .insert(idempotencyKeys)
    .values({ userId, key, requestHash: hash, expiresAt: sql`now() + make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})` })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key });
  if (claimed.length) return null;
  const [row] = await ex
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)))
    .limit(1);
  // Only if the row vanished (expired and deleted) between our insert and select: run the request again.
  if (!row || row.statusCode === null) throw new ClaimRace();
  if (row.requestHash !== hash) throw new AppError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request body');
  return { statusCode: row.statusCode, body: row.response };
}

export async function remember(ex: Executor, userId: string, key: string, statusCode: number, body: unknown): Promise<void> {
  await ex
    .update(idempotencyKeys)
    .set({ statusCode, response: body })
    .where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)));
}
