// Verification of the hash-chained audit trail (migrations/0014_audit_chain.sql chained the first events,
// migrations/0020_audit_sequencer.sql's sequencer chains the rest).
// The verifier rebuilds every hash in Node from the stored fields, independently of the SQL function
// that wrote it, so a replaced function in the database cannot vouch for itself.
import crypto, { createHash } from 'node:crypto';
import type { Database } from '../../platform/db/index.ts';
import type { Checkpoint } from '../../platform/audit-checkpoint.ts';

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

/** A row of SELECT_CHAIN, as text, in its column order (see the indexes below). */
type Fields = (string | null)[];
const POS = 0;
const PREV_HASH = 1;
const HASH = 2;
const LINKED_ID = 3;
const ID = 4;
const SEQ = 5;
const XID = 16;
const CONTENT_HASH = 17;

/** SHA-256 over a canonical string of fields: each its byte length, a colon and the text; '-' for NULL. */
function canonicalHash(prefix: string, fields: (string | null)[]): string {
  let canonical = prefix;
  for (const f of fields) canonical += `|${field(f)}`;
  return sha256Hex(canonical);
}

/** v1 (migrations/0014, events chained inside their transaction): the previous hash and the event's fields. */
function v1Hash(prev: string, f: Fields): string {
  return canonicalHash('telecare-audit-v1', [prev, ...f.slice(ID, ID + 12)]);
}

/** The event's own hash sealed at insert (migrations/0020): its fields with xid and seq. */
function contentHashOf(f: Fields): string {
  return canonicalHash('telecare-audit-event-v2', [f[ID], f[XID], f[SEQ], ...f.slice(SEQ + 1, ID + 12)]);
}

/** A v2 link: the previous hash, the chain position and the event's content hash. */
export function linkHash(prev: string, position: number | string, contentHash: string): string {
  return canonicalHash('telecare-audit-v2', [prev, String(position), contentHash]);
}

/** SHA-256 over the canonical v1 form: the same string audit_chain_hash() builds in SQL. */
export function chainHash(prev: string, r: ChainRow): string {
  return canonicalHash('telecare-audit-v1', [
    prev,
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

/** The content hash audit_content_hash() seals at insert, rebuilt in Node. */
export function contentHash(r: ChainRow & { xid: string }): string {
  return canonicalHash('telecare-audit-event-v2', [
    r.id,
    r.xid,
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

/** Compares two non-negative integers written in decimal (xids and seqs may pass 2^53 one day). */
function cmpInt(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

export interface BrokenLink {
  /** The event at fault, when one is. */
  id: string | null;
  /** Its seq (the append sequence), or the head's chain position when the fault is at the head. */
  seq: string | null;
  /** The chain position where the walk stopped. */
  position: string | null;
  reason: string;
}

export interface VerifyResult {
  ok: boolean;
  /** Chained events checked (up to and including the first broken one). */
  count: number;
  /** The head: chain position and hash of the last link. */
  headSeq: string;
  headHash: string;
  /** Events committed after the sequencer's horizon and not chained yet. */
  pending: number;
  /** Checkpoints the chain was checked against. */
  checkpoints: number;
  broken: BrokenLink | null;
  elapsedMs: number;
}

interface Head {
  seq: string;
  hash: string;
  last_xid: string;
  last_seq: string;
  horizon: string;
}

// Every link in chain order with its event (left join: a link whose event is gone still shows), the
// hashed fields in the order the indexes above name, as text. ORDER BY names the table's column: the
// bare alias would sort as text.
const SELECT_CHAIN = `
  SELECT c.chain_seq::text, c.prev_hash, c.hash, c.event_id::text,
         e.id::text, e.seq::text, to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
         e.actor_id::text, e.actor_role, e.action, e.resource_type, e.resource_id, e.patient_id::text, e.outcome, e.ip, e.request_id,
         e.xid::text, e.content_hash
  FROM audit_chain c LEFT JOIN audit_events e ON e.id = c.event_id ORDER BY c.chain_seq`;

interface ChainScan {
  head: Head | null;
  /** The next batch of links in chain order; empty once all were read. */
  next(): Promise<Fields[]>;
  /** Another query in the same snapshot. */
  query<T>(text: string): Promise<T[]>;
}

/**
 * Reads the chain head and then every link through one server-side cursor, in one read-only
 * REPEATABLE READ transaction: the head, the links and the events come from the same snapshot (so an
 * event chained meanwhile is simply not in it), the chain is walked once along its primary key however
 * long it is, and each FETCH returns a bounded batch as row arrays (no per-row objects). On the server
 * engine the next batch is already requested while the current one is hashed.
 */
async function withChainScan<T>(database: Database, batchSize: number, fn: (scan: ChainScan) => Promise<T>): Promise<T> {
  const fetchBatch = `FETCH FORWARD ${batchSize} FROM audit_chain_verify`;
  const headSql =
    'SELECT seq::text AS seq, hash, last_xid::text AS last_xid, last_seq::text AS last_seq, horizon::text AS horizon FROM audit_chain_head';
  const declare = `DECLARE audit_chain_verify NO SCROLL CURSOR FOR ${SELECT_CHAIN}`;
  if (database.pglite) {
    // transaction() holds the embedded database's lock, so no other query runs inside this one.
    return database.pglite.transaction(async (tx) => {
      await tx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const head = (await tx.query<Head>(headSql)).rows[0] ?? null;
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
        query: async <R>(text: string) => (await tx.query<R>(text)).rows,
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
    const head = (await client.query<Head>(headSql)).rows[0] ?? null;
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
      query: async <R>(text: string) => {
        if (pending) await pending.catch(() => undefined);
        return (await client.query(text)).rows as R[];
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

export interface VerifyOptions {
  batchSize?: number;
  /** Signed checkpoints (already checked by readCheckpoints): the chain must pass through each. */
  checkpoints?: Checkpoint[];
}

const cpName = (cp: Checkpoint) => `checkpoint${cp.line ? ` (line ${cp.line})` : ''} of ${cp.at}`;

/**
 * Walks the chain in chain order, streamed in batches so memory stays flat whatever the trail's length,
 * and stops at the first link that does not match: each link must follow the previous one, name an
 * existing event whose content hash its fields reproduce, come in (xid, seq) order after the previous
 * event, and agree with every checkpoint at its position. Then the head must be the last link, and the
 * events must be exactly the chained ones plus those committed after the sequencer's horizon (pending):
 * every committed event is chained exactly once or not yet. Events appended while it runs are not in its
 * snapshot and are left for the next run.
 */
export async function verifyChain(database: Database, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const started = performance.now();
  const batchSize = opts.batchSize ?? 10_000;
  const checkpoints = [...(opts.checkpoints ?? [])].sort((a, b) => a.seq - b.seq);
  return withChainScan(database, batchSize, async ({ head, next, query }) => {
    let checked = 0;
    let pending = 0;
    const done = (count: number, broken: BrokenLink | null): VerifyResult => ({
      ok: broken === null,
      count,
      headSeq: head?.seq ?? '0',
      headHash: head?.hash ?? '',
      pending,
      checkpoints: checked,
      broken,
      elapsedMs: performance.now() - started,
    });
    if (!head) return done(0, { id: null, seq: null, position: null, reason: 'the chain head row is missing' });

    let cpIndex = 0;
    let lastGood = 0;
    // Checkpoints at a position: the hash the chain had there when it was signed.
    const passCheckpoints = (position: number, hash: string): BrokenLink | null => {
      for (; cpIndex < checkpoints.length && checkpoints[cpIndex]!.seq <= position; cpIndex++) {
        const cp = checkpoints[cpIndex]!;
        if (cp.seq < position) continue; // unreachable: every position is visited in order
        if (cp.hash !== hash) {
          return {
            id: null,
            seq: null,
            position: String(position),
            reason:
              `the chain differs from the ${cpName(cp)} at position ${cp.seq}: events between positions ${lastGood} and ${cp.seq} ` +
              `were rewritten and re-chained (the chain is consistent with itself, but not with what was signed${lastGood ? `; position ${lastGood} still matches` : ''})`,
          };
        }
        checked += 1;
        lastGood = cp.seq;
      }
      return null;
    };
    const atGenesis = passCheckpoints(0, GENESIS_HASH);
    if (atGenesis) return done(0, atGenesis);

    let prev = GENESIS_HASH;
    let count = 0;
    let lastXid = '0';
    let lastSeq = '0';
    let v2 = false;
    for (let rows = await next(); rows.length; rows = await next()) {
      for (const r of rows) {
        count += 1;
        const position = r[POS]!;
        const id = r[ID] ?? r[LINKED_ID];
        const seq = r[SEQ];
        const at = (reason: string) => done(count, { id, seq, position, reason });
        if (position !== String(count)) {
          return at(`the link at position ${position} follows position ${count - 1}: links between them were removed`);
        }
        if (r[ID] === null) return at(`link ${position} names event ${r[LINKED_ID]}, which is not in the trail: the event was removed`);
        if (r[PREV_HASH] !== prev) {
          const reason =
            count === 1
              ? 'prevHash is not the genesis hash: the chain does not start here (events before it were removed?)'
              : `prevHash does not match the hash of the previous link (position ${count - 1}): a link between them was removed or altered`;
          return at(reason);
        }
        let expected: string;
        if (r[CONTENT_HASH] === null) {
          // v1: the events chained before the sequencer, all of them first and in seq order.
          if (v2) return at('an event without a content hash after the sealed ones: the event was altered');
          if (cmpInt(seq!, lastSeq) <= 0) return at(`event seq ${seq} is chained after seq ${lastSeq}: the chain order was altered`);
          expected = v1Hash(prev, r);
        } else {
          if (r[CONTENT_HASH] !== contentHashOf(r)) return at("the event's fields do not match its content hash: the event was altered");
          const order = cmpInt(r[XID]!, lastXid) || cmpInt(seq!, lastSeq);
          if (order <= 0)
            return at(`event (xid ${r[XID]}, seq ${seq}) is chained after (xid ${lastXid}, seq ${lastSeq}): the chain order was altered`);
          v2 = true;
          lastXid = r[XID]!;
          expected = linkHash(prev, position, r[CONTENT_HASH]);
        }
        if (r[HASH] !== expected) return at("hash does not match the event's fields: the event was altered");
        prev = r[HASH];
        lastSeq = seq!;
        const cpBroken = passCheckpoints(count, prev);
        if (cpBroken) return done(count, { ...cpBroken, id, seq });
      }
    }
    const headFault = (reason: string) => done(count, { id: null, seq: head.seq, position: String(count), reason });
    if (head.seq !== String(count) || prev !== head.hash) {
      return headFault(
        `the chain head names position ${head.seq} but the last link is position ${count}: links at the end were removed or altered`,
      );
    }
    if (head.last_xid !== lastXid || head.last_seq !== lastSeq) {
      return headFault(`the chain head's cursor (xid ${head.last_xid}, seq ${head.last_seq}) is not the last chained event`);
    }
    const beyond = checkpoints[cpIndex];
    if (beyond) {
      return headFault(`the chain ends at position ${count} but the ${cpName(beyond)} names position ${beyond.seq}: events were removed`);
    }
    // Every event up to the cursor is chained exactly once: links are one per event (unique), each names an
    // existing event up to the cursor (checked above), so equal counts leave no event out.
    const [tally] = await query<{ total: string; pending: string; stray: string }>(`
      SELECT count(*)::text AS total,
             count(*) FILTER (WHERE (xid, seq) > (${BigInt(head.last_xid)}, ${BigInt(head.last_seq)}))::text AS pending,
             count(*) FILTER (WHERE (xid, seq) > (${BigInt(head.last_xid)}, ${BigInt(head.last_seq)}) AND xid < ${BigInt(head.horizon)})::text AS stray
      FROM audit_events`);
    pending = Number(tally!.pending);
    if (Number(tally!.total) - pending !== count) {
      return headFault(
        `${Number(tally!.total) - pending} events sort at or before the head's cursor but ${count} are chained: events were inserted out of order`,
      );
    }
    if (tally!.stray !== '0') {
      return headFault(`${tally!.stray} unchained events lie below the sequencer's horizon: they were inserted out of order`);
    }
    return done(count, null);
  });
}
