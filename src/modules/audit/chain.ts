// Verification of the hash-chained audit trail (migrations/0014_audit_chain.sql writes the chain).
// The verifier rebuilds every hash in Node from the stored fields, independently of the SQL function
// that wrote it, so a replaced function in the database cannot vouch for itself.
import crypto, { createHash } from 'node:crypto';
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

// One-shot crypto.hash (Node ≥ 20.12) skips the Hash object createHash builds per call; the verifier
// hashes every event, so it is used when present.
const sha256Hex: (data: string) => string =
  typeof crypto.hash === 'function'
    ? (data) => crypto.hash('sha256', data, 'hex')
    : (data) => createHash('sha256').update(data, 'utf8').digest('hex');

/**
 * The fields the hash covers, in canonical order, as the database renders them to text (the verifier
 * reads them in this order as row arrays, see SELECT_CHAIN); then prev_hash and hash.
 */
type Fields = (string | null)[];
const HASHED_FIELDS = 12;
const PREV_HASH = 12;
const HASH = 13;

/** SHA-256 over the canonical form of a row of fields: the same string audit_chain_hash() builds in SQL. */
function hashFields(prev: string, f: Fields): string {
  let canonical = `telecare-audit-v1|${field(prev)}`;
  for (let i = 0; i < HASHED_FIELDS; i++) canonical += `|${field(f[i])}`;
  return sha256Hex(canonical);
}

/** SHA-256 over the canonical form: the same string audit_chain_hash() builds in SQL. */
export function chainHash(prev: string, r: ChainRow): string {
  return hashFields(prev, [
    r.id,
    r.seq,
    r.at,
    r.actor_id,
    r.actor_role,
    r.action,
    r.resource_type,
    r.resource_id,
    r.patient_id,
    r.outcome,
    r.ip,
    r.request_id,
  ]);
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

// Every event in chain order, the hashed fields first (in hashFields' order), as text. ORDER BY names
// the table's column: the bare `seq` would be the text alias and sort '10' before '9'.
const SELECT_CHAIN = `
  SELECT id::text, seq::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
         actor_id::text, actor_role, action, resource_type, resource_id, patient_id::text, outcome, ip, request_id,
         prev_hash, hash
  FROM audit_events ORDER BY audit_events.seq`;

interface ChainScan {
  head: { seq: string; hash: string } | null;
  /** The next batch of events in chain order; empty once all were read. */
  next(): Promise<Fields[]>;
}

/**
 * Reads the chain head and then every event through one server-side cursor, in one read-only
 * REPEATABLE READ transaction: the head and the events come from the same snapshot (so an event
 * appended meanwhile is simply not in it), the table is walked once along the seq index however long
 * it is, and each FETCH returns a bounded batch as row arrays (no per-row objects). On the server
 * engine the next batch is already requested while the current one is hashed.
 */
async function withChainScan<T>(database: Database, batchSize: number, fn: (scan: ChainScan) => Promise<T>): Promise<T> {
  const fetchBatch = `FETCH FORWARD ${batchSize} FROM audit_chain_verify`;
  const headSql = 'SELECT seq::text AS seq, hash FROM audit_chain_head';
  const declare = `DECLARE audit_chain_verify NO SCROLL CURSOR FOR ${SELECT_CHAIN}`;
  if (database.pglite) {
    // transaction() holds the embedded database's lock, so no other query runs inside this one.
    return database.pglite.transaction(async (tx) => {
      await tx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const head = (await tx.query<{ seq: string; hash: string }>(headSql)).rows[0] ?? null;
      await tx.exec(declare);
      let done = false;
      return fn({
        head,
        next: async () => {
          if (done) return [];
          const rows = (await tx.query<Fields>(fetchBatch, [], { rowMode: 'array' })).rows;
          done = rows.length < batchSize;
          return rows;
        },
      });
    });
  }
  const client = await database.pool!.connect();
  let pending: Promise<Fields[]> | null = null;
  let failed = true;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    // A walk of millions of rows has a plan cost that would trigger JIT compilation, which costs more than it saves here.
    await client.query('SET LOCAL jit = off');
    const head = (await client.query<{ seq: string; hash: string }>(headSql)).rows[0] ?? null;
    await client.query(declare);
    const request = () => {
      const p = client.query<Fields>({ text: fetchBatch, rowMode: 'array' }).then((r) => r.rows);
      p.catch(() => undefined); // awaited by next(); this only keeps an early return from leaving it unhandled
      return p;
    };
    pending = request();
    const result = await fn({
      head,
      next: async () => {
        if (!pending) return [];
        const rows = await pending;
        pending = rows.length === batchSize ? request() : null;
        return rows;
      },
    });
    if (pending !== null) await pending; // a batch requested before the walk stopped early
    await client.query('ROLLBACK');
    failed = false;
    return result;
  } finally {
    // A client left in an unknown state (a failed query mid-transaction) is discarded, not pooled.
    client.release(failed);
  }
}

/**
 * Walks the chain in ascending `seq` (the chain order), streamed in batches so memory stays flat
 * whatever the trail's length, and stops at the first event that does not match. Events appended
 * while it runs are not in its snapshot and are left for the next run.
 */
export async function verifyChain(database: Database, opts: { batchSize?: number } = {}): Promise<VerifyResult> {
  const started = performance.now();
  const batchSize = opts.batchSize ?? 10_000;
  return withChainScan(database, batchSize, async ({ head, next }) => {
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
    for (let rows = await next(); rows.length; rows = await next()) {
      for (const r of rows) {
        count += 1;
        const id = r[0]!;
        const seq = r[1]!;
        if (r[PREV_HASH] !== prev) {
          const reason =
            count === 1
              ? 'prevHash is not the genesis hash: the chain does not start here (events before it were removed?)'
              : `prevHash does not match the hash of the previous event (seq ${lastSeq}): an event between them was removed or altered`;
          return done(count, { id, seq, reason });
        }
        if (r[HASH] !== hashFields(prev, r)) {
          return done(count, { id, seq, reason: "hash does not match the event's fields: the event was altered" });
        }
        prev = r[HASH];
        lastSeq = seq;
      }
    }
    if (lastSeq !== head.seq || prev !== head.hash) {
      return done(count, {
        id: null,
        seq: head.seq,
        reason: `the chain head names seq ${head.seq} but the last event is seq ${lastSeq}: events at the end were removed or altered`,
      });
    }
    return done(count, null);
  });
}
