// Shared set-up for the admin tests (not a test file itself).
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { TestApp } from '../../../test/helpers.ts';

export const USERS = '/api/v1/admin/users';

/** Audit events written while serving the request with this id. */
export async function eventsOf(app: TestApp, requestId: string) {
  return app.database.rows<Record<string, any>>(sql`SELECT * FROM audit_events WHERE request_id = ${requestId} ORDER BY seq`);
}

/** PATCH /admin/users/{id} with a known request id, to find its audit events. */
export async function patch(app: TestApp, token: string, userId: string, accountStatus: string) {
  const rid = `rid-${randomUUID()}`;
  const res = await app.request('PATCH', `${USERS}/${userId}`, { token, body: { accountStatus }, headers: { 'x-request-id': rid } });
  return { res, rid };
}
