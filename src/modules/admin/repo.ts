import { and, eq, ilike, or, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../platform/db/index.ts';
import { users } from '../auth/index.ts';

export type UserRow = typeof users.$inferSelect;

export interface UserFilter {
  role?: UserRow['role'];
  accountStatus?: UserRow['accountStatus'];
  q?: string;
  /** Keyset position: the created_at text (microseconds) and id of the last row seen. */
  after?: { createdAt: string; id: string };
  limit: number;
}

/** LIKE metacharacters in a search term match themselves. */
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

// Microsecond text of created_at: a JS Date would truncate to milliseconds and break the keyset order.
const createdAtText = sql<string>`to_char(${users.createdAt} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Newest first; fetches limit + 1 rows so the caller knows whether another page exists. */
export async function listUsers(ex: Executor, f: UserFilter): Promise<(UserRow & { createdAtKey: string })[]> {
  const conds: (SQL | undefined)[] = [];
  if (f.role) conds.push(eq(users.role, f.role));
  if (f.accountStatus) conds.push(eq(users.accountStatus, f.accountStatus));
  if (f.q) {
    const pattern = `%${likeEscape(f.q)}%`;
    conds.push(
      or(
        ilike(users.username, pattern),
        ilike(users.email, pattern),
        ilike(users.firstname, pattern),
        ilike(users.lastname, pattern),
        ilike(sql`${users.firstname} || ' ' || ${users.lastname}`, pattern),
      ),
    );
  }
  if (f.after) conds.push(sql`(${users.createdAt}, ${users.id}) < (${f.after.createdAt}::timestamptz, ${f.after.id}::uuid)`);
  const rows = await ex
    .select({ user: users, createdAtKey: createdAtText })
    .from(users)
    .where(and(...conds))
    .orderBy(sql`${users.createdAt} DESC, ${users.id} DESC`)
    .limit(f.limit + 1);
  return rows.map((r) => ({ ...r.user, createdAtKey: r.createdAtKey }));
}

export async function findUser(ex: Executor, id: string): Promise<UserRow | undefined> {
  const [row] = await ex.select().from(users).where(eq(users.id, id)).limit(1);
  return row;
}
