// Verification of the hash-chained audit trail (migrations/0014_audit_chain.sql writes the chain).
// The verifier rebuilds every hash in Node from the stored fields, independently of the SQL function
// that wrote it, so a replaced function in the database cannot vouch for itself.
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Database } from '../../platform/db/index.ts';

export const GENESIS_HASH = '0'.repeat(64);

/** The stored fields that the hash covers, as the database renders them to text. */
export interface ChainRow {
  id: string;
  seq: string;
  at: string;
  actor_id: string | null;
  actor_role: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  patient_id: string | null;
  outcome: string;
  ip: string | null;
  request_id: string | null;
  prev_hash: string | null;
  hash: string | null;
}

const field = (v: string | null) => (v === null ? '-' : `${Buffer.byteLength(v, 'utf8')}:${v}`);

/** SHA-256 over the canonical form: the same string audit_chain_hash() builds in SQL. */
export function chainHash(prev: string, r: ChainRow): string {
  const canonical = [
    'telecare-audit-v1',
    field(prev),
    field(r.id),
    field(r.seq),
    field(r.at),
    field(r.actor_id),
    field(r.actor_role),
    field(r.action),
    field(r.resource_type),
    field(r.resource_id),
    field(r.patient_id),
    field(r.outcome),
    field(r.ip),
    field(r.request_id),
  ].join('|');
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

export interface BrokenLink {
  id: string | null;
  seq: string | null;
  reason: string;
}

export interface VerifyResult {
  ok: boolean;
  /** Events checked (up to and including the first broken one). */
  count: number;
  headSeq: string;
  headHash: string;
  broken: BrokenLink | null;
  elapsedMs: number;
}

/**
 * Walks the chain in ascending `seq` (the chain order) in keyset batches, so memory stays flat
 * whatever the trail's length, and stops at the first event that does not match. Events appended
 * while it runs are beyond the head it read first and are left for the next run.
 */
export async function verifyChain(database: Database, opts: { batchSize?: number } = {}): Promise<VerifyResult> {
  const started = performance.now();
  const batchSize = opts.batchSize ?? 10_000;
  const [head] = await database.rows<{ seq: string; hash: string }>(sql`SELECT seq::text AS seq, hash FROM audit_chain_head`);
  const done = (count: number, broken: BrokenLink | null): VerifyResult => ({
    ok: broken === null,
    count,
    headSeq: head?.seq ?? '0',
    headHash: head?.hash ?? '',
    broken,
    elapsedMs: performance.now() - started,
  });
  if (!head) return done(0, { id: null, seq: null, reason: 'the chain head row is missing' });

  let prev = GENESIS_HASH;
  let lastSeq = '0';
  let count = 0;
  for (;;) {
    const rows = await database.rows<ChainRow>(sql`
      SELECT id::text AS id, seq::text AS seq,
             to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at,
             actor_id::text AS actor_id, actor_role, action, resource_type, resource_id,
             patient_id::text AS patient_id, outcome, ip, request_id, prev_hash, hash
      FROM audit_events
      WHERE seq > ${lastSeq}::bigint AND seq <= ${head.seq}::bigint
      ORDER BY audit_events.seq
      LIMIT ${batchSize}`);
    for (const r of rows) {
      count += 1;
      if (r.prev_hash !== prev) {
        const reason =
          count === 1
            ? 'prevHash is not the genesis hash: the chain does not start here (events before it were removed?)'
            : `prevHash does not match the hash of the previous event (seq ${lastSeq}): an event between them was removed or altered`;
        return done(count, { id: r.id, seq: r.seq, reason });
      }
      if (r.hash !== chainHash(prev, r)) {
        return done(count, { id: r.id, seq: r.seq, reason: "hash does not match the event's fields: the event was altered" });
      }
      prev = r.hash;
      lastSeq = r.seq;
    }
    if (rows.length < batchSize) break;
  }
  if (lastSeq !== head.seq || prev !== head.hash) {
    return done(count, {
      id: null,
      seq: head.seq,
      reason: `the chain head names seq ${head.seq} but the last event is seq ${lastSeq}: events at the end were removed or altered`,
    });
  }
  return done(count, null);
}
