import { eq, sql } from 'drizzle-orm';
import type { Executor } from '../../platform/db/index.ts';
import { patients } from './tables.ts';
import { users } from '../auth/index.ts';

export async function findPatientWithUser(ex: Executor, id: string) {
  const [row] = await ex
    .select({ user: users, patient: patients })
    .from(patients)
    .innerJoin(users, eq(users.id, patients.id))
    .where(eq(patients.id, id))
    .limit(1);
  return row;
}

export async function updatePatient(ex: Executor, id: string, patch: Partial<typeof patients.$inferInsert>): Promise<void> {
  await ex
    .update(patients)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(eq(patients.id, id));
}
