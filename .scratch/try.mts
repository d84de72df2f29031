import { openAndMigrate } from '../src/platform/db/index.ts';
import { sql } from 'drizzle-orm';
const db = await openAndMigrate({ databaseUrl: process.env.DBURL ?? null, pgliteDir: 'memory://' });
await db.rows(sql`INSERT INTO audit_events (action, resource_type, outcome) VALUES ('a.b','x','SUCCESS'),('a.c','x','SUCCESS')`);
console.log(await db.rows(sql`SELECT seq, prev_hash, hash FROM audit_events ORDER BY seq`));
console.log(await db.rows(sql`SELECT * FROM audit_chain_head`));
await db.close();
