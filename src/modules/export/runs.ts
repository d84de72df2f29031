// Export budget: one export of a user runs at a time and a few start per hour, counted in the database so
// the rule holds across every instance. An export reads the user's whole record; unbounded, four clients
// of one account looping it starve every other request of the database.
import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import { pgTable, uuid } from 'drizzle-orm/pg-core';
import type { Executor } from '../../platform/db/index.ts';
import { ts } from '../../platform/db/tables.ts';

export const exportRuns = pgTable('export_runs', {
  id: uuid('id').primaryKey().defaultRandom(),
  userId: uuid('user_id').notNull(),
  startedAt: ts('started_at').notNull(),
  finishedAt: ts('finished_at'),
});

const HOUR = 3_600_000;
/**
 * An unfinished run older than this no longer blocks the next (its instance died mid-stream). Longer
 * than any export takes to stream to a client that reads it.
 */
export const STALE_MS = 15 * 60_000;

export type Claim = { ok: true; id: string } | { ok: false; retryAfterSeconds: number; reason: 'running' | 'budget' };

/**
 * Claims an export for the user at `now`, or says why not and when to retry. Serialised per user by an
 * advisory lock (to the end of the transaction), so two concurrent requests cannot both claim the last place.
 */
export async function claim(ex: Executor, userId: string, now: number, perHour: number): Promise<Claim> {
  await ex.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`export:${userId}`}, 0))`);
  const recent = await ex
    .select()
    .from(exportRuns)
    .where(and(eq(exportRuns.userId, userId), gt(exportRuns.startedAt, new Date(now - HOUR))))
    .orderBy(desc(exportRuns.startedAt))
    .limit(perHour);
  const running = recent.find((r) => r.finishedAt === null && r.startedAt.getTime() > now - STALE_MS);
  if (running) return { ok: false, reason: 'running', retryAfterSeconds: 5 };
  if (recent.length >= perHour) {
    const oldest = recent[recent.length - 1].startedAt.getTime();
    return { ok: false, reason: 'budget', retryAfterSeconds: Math.max(1, Math.ceil((oldest + HOUR - now) / 1000)) };
  }
  const [row] = await ex
    .insert(exportRuns)
    .values({ userId, startedAt: new Date(now) })
    .returning({ id: exportRuns.id });
  return { ok: true, id: row.id };
}

export async function finish(ex: Executor, id: string, now: number): Promise<void> {
  await ex
    .update(exportRuns)
    .set({ finishedAt: new Date(now) })
    .where(and(eq(exportRuns.id, id), isNull(exportRuns.finishedAt)));
}
