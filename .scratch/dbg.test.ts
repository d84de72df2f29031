import { test } from 'node:test';
import { sql } from 'drizzle-orm';
import { build, createAdminUser } from '../test/helpers.ts';
import { verifyChain } from '../src/modules/audit/chain.ts';
test('dbg', async (t) => {
  const app = await build(t);
  await createAdminUser(app);
  console.log(await app.database.rows(sql`SELECT seq, action, left(prev_hash,8) p, left(hash,8) h FROM audit_events ORDER BY seq`));
  console.log(await app.database.rows(sql`SELECT seq FROM audit_events WHERE seq > ${'0'}::bigint ORDER BY seq LIMIT 10`));
  console.log(await verifyChain(app.database));
});
