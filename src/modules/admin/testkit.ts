// Shared set-up for the admin tests (not a test file itself).
import { sql } from 'drizzle-orm';
import type { TestApp } from '../../../test/helpers.ts';

export const USERS = '/api/v1/admin/users';

/** Audit events written while serving the request with this id. */
export async function eventsOf(app: TestApp, requestId: string) {
  return app.database.rows<Record<string, any>>(sql`SELECT * FROM audit_events WHERE request_id = ${requestId} ORDER BY seq`);
}

/** PATCH /admin/users/{id}; `rid` is the id the server made for it (the trail keeps the server's own ids). */
export async function patch(app: TestApp, token: string, userId: string, accountStatus: string) {
  const res = await app.request('PATCH', `${USERS}/${userId}`, { token, body: { accountStatus } });
  const rid = res.headers.get('x-request-id')!;
  return { res, rid };
}
