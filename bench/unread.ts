// The conversation list's unread count with a thread of 100,000 unread messages (issue 23): the list query
// as it was (counting the unread rows of each listed thread) beside the query as it is (reading the
// message_unread counter, migration 0035), on the same database in the same run, several repeats each,
// plus EXPLAIN ANALYZE of both. Also what the counter's triggers cost the writes that keep it: one
// message insert and a mark-read of the whole thread, with the triggers on and off (scratch database only).
// Usage: tsx bench/unread.ts            (embedded PGlite in a temp dir; plus PostgreSQL when DATABASE_URL is
//        set, in a scratch database created and dropped there)     env: UNREAD_REPEATS (default 30)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql, type SQL } from 'drizzle-orm';
import { openAndMigrate, pgliteDirFor, type Database } from '../src/platform/db/index.ts';
import { createScratchDatabase } from '../src/platform/db/scratch.ts';

const UNREAD = 100_000;
const REPEATS = Number(process.env.UNREAD_REPEATS ?? 30);

/** The list query of src/modules/messages/repo.ts for a doctor (the grant's condition as its plain form), before and after. */
function listQuery(doctorId: string, counter: boolean): SQL {
  const unread = counter
    ? sql`COALESCE(n.unread, 0) AS unread`
    : sql`(SELECT count(*) FROM messages x WHERE x.recipient_id = ${doctorId} AND x.sender_id = c.patient_id AND x.read_at IS NULL) AS unread`;
  return sql`
    SELECT c.patient_id AS other_id, u.firstname, u.lastname, u.role, c.doctor_id, c.patient_id, c.last_seq,
           m.id, m.sender_id, m.recipient_id, m.body, m.created_at, m.read_at, ${unread}
    FROM conversations c
    JOIN users u ON u.id = c.patient_id
    JOIN messages m ON m.id = c.last_message_id
    ${counter ? sql`LEFT JOIN message_unread n ON n.recipient_id = ${doctorId} AND n.sender_id = c.patient_id` : sql``}
    WHERE c.doctor_id = ${doctorId}
    ORDER BY c.last_seq DESC
    LIMIT 21`;
}

async function user(db: Database, name: string, role: string): Promise<string> {
  const [r] = await db.rows<{ id: string }>(sql`
    INSERT INTO users (username, email, password_hash, firstname, lastname, role, email_verified_at)
    VALUES (${name}, ${name + '@bench.test'}, 'x', 'Bench', ${name}, ${role}, now()) RETURNING id`);
  return r!.id;
}

async function timed(fn: () => Promise<unknown>, repeats: number): Promise<{ min: number; median: number }> {
  for (let i = 0; i < 3; i++) await fn(); // warm: plans cached, pages in memory
  const ms: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { min: ms[0]!, median: ms[Math.floor(ms.length / 2)]! };
}

/** EXPLAIN ANALYZE's own execution time and the plan's lines that name the unread part. */
async function explain(db: Database, q: SQL): Promise<{ executionMs: number; plan: string[] }> {
  const rows = await db.rows<{ 'QUERY PLAN': string }>(sql`EXPLAIN (ANALYZE, BUFFERS) ${q}`);
  const lines = rows.map((r) => r['QUERY PLAN']);
  const exec = lines.find((l) => l.startsWith('Execution Time'));
  return { executionMs: Number(/([\d.]+) ms/.exec(exec ?? '')?.[1] ?? NaN), plan: lines };
}

const fmt = (t: { min: number; median: number }) => `${t.min.toFixed(3)} / ${t.median.toFixed(3)} ms`;

async function run(engine: string, db: Database): Promise<void> {
  const doctorId = await user(db, 'unread_doctor', 'DOCTOR');
  const patientId = await user(db, 'unread_patient', 'PATIENT');
  // 100,000 unread messages from the patient in one statement (the trigger counts them once), and the thread.
  await db.rows(sql`INSERT INTO messages (doctor_id, patient_id, sender_id, recipient_id, body, created_at)
    SELECT ${doctorId}, ${patientId}, ${patientId}, ${doctorId}, 'Message ' || i, now() - interval '1 day' + i * interval '1 ms'
      FROM generate_series(1, ${UNREAD}) i`);
  const [last] = await db.rows<{ id: string; seq: string }>(sql`SELECT id, seq FROM messages ORDER BY seq DESC LIMIT 1`);
  await db.rows(
    sql`INSERT INTO conversations (doctor_id, patient_id, last_message_id, last_seq) VALUES (${doctorId}, ${patientId}, ${last!.id}, ${last!.seq})`,
  );
  await db.rows(sql`VACUUM ANALYZE messages`);
  await db.rows(sql`ANALYZE`);

  const before = await db.rows<{ unread: string | number }>(listQuery(doctorId, false));
  const after = await db.rows<{ unread: string | number }>(listQuery(doctorId, true));
  if (Number(before[0]!.unread) !== UNREAD || Number(after[0]!.unread) !== UNREAD) {
    throw new Error(`unread counts differ: counted ${before[0]!.unread}, counter ${after[0]!.unread}`);
  }
  const tBefore = await timed(() => db.rows(listQuery(doctorId, false)), REPEATS);
  const tAfter = await timed(() => db.rows(listQuery(doctorId, true)), REPEATS);
  const eBefore = await explain(db, listQuery(doctorId, false));
  const eAfter = await explain(db, listQuery(doctorId, true));

  // The writes' share: one more message (one statement, as the API sends it), triggers on and off.
  const insertOne = () =>
    db.rows(sql`INSERT INTO messages (doctor_id, patient_id, sender_id, recipient_id, body)
      VALUES (${doctorId}, ${patientId}, ${patientId}, ${doctorId}, 'one more')`);
  const withTriggers = await timed(insertOne, REPEATS * 5);
  // Reading all 100,000+ in one statement, as POST /read up to the newest does; then unread again to repeat.
  const markAll = () =>
    db.rows(sql`UPDATE messages SET read_at = now() WHERE recipient_id = ${doctorId} AND sender_id = ${patientId} AND read_at IS NULL`);
  const unmark = () => db.rows(sql`UPDATE messages SET read_at = NULL WHERE recipient_id = ${doctorId}`);
  const markTimes: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await markAll();
    markTimes.push(performance.now() - t0);
    await unmark();
  }
  const [counted] = await db.rows<{ unread: number; rows: number }>(sql`
    SELECT (SELECT unread FROM message_unread WHERE recipient_id = ${doctorId} AND sender_id = ${patientId}) AS unread,
           (SELECT count(*)::int FROM messages WHERE recipient_id = ${doctorId} AND read_at IS NULL) AS rows`);
  if (counted!.unread !== counted!.rows) throw new Error(`counter ${counted!.unread} ≠ ${counted!.rows} unread rows`);
  await db.rows(sql`ALTER TABLE messages DISABLE TRIGGER USER`);
  const withoutTriggers = await timed(insertOne, REPEATS * 5);
  const markTimesOff: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await markAll();
    markTimesOff.push(performance.now() - t0);
    await unmark();
  }
  await db.rows(sql`ALTER TABLE messages ENABLE TRIGGER USER`);

  const minMed = (a: number[]) => {
    const s = [...a].sort((x, y) => x - y);
    return `${s[0]!.toFixed(0)} / ${s[1]!.toFixed(0)} ms`;
  };
  console.log(
    `\n## ${engine}: conversation list with one thread of ${UNREAD.toLocaleString('en')} unread messages (${REPEATS} repeats, min / median)`,
  );
  console.log(`| query | wall time | EXPLAIN ANALYZE execution |`);
  console.log(`| --- | --- | --- |`);
  console.log(`| before: count(*) of unread rows | ${fmt(tBefore)} | ${eBefore.executionMs} ms |`);
  console.log(`| after: message_unread counter | ${fmt(tAfter)} | ${eAfter.executionMs} ms |`);
  console.log(`| insert one message, counter triggers on / off | ${fmt(withTriggers)} / ${fmt(withoutTriggers)} | |`);
  console.log(
    `| mark ${UNREAD.toLocaleString('en')} read in one statement, triggers on / off (min / median of 3) | ${minMed(markTimes)} / ${minMed(markTimesOff)} | |`,
  );
  console.log('\nEXPLAIN ANALYZE before:\n' + eBefore.plan.join('\n'));
  console.log('\nEXPLAIN ANALYZE after:\n' + eAfter.plan.join('\n'));
}

const dataDir = mkdtempSync(join(tmpdir(), 'telecare-bench-unread-'));
try {
  const embedded = await openAndMigrate({ databaseUrl: null, pgliteDir: pgliteDirFor(dataDir) });
  try {
    await run(`embedded (PGlite)`, embedded);
  } finally {
    await embedded.close();
  }
  if (process.env.DATABASE_URL) {
    const scratch = await createScratchDatabase(process.env.DATABASE_URL, 'tc_bench_unread');
    try {
      const server = await openAndMigrate({ databaseUrl: scratch.url, pgliteDir: '' });
      try {
        const [v] = await server.rows<{ v: string }>(sql`SELECT current_setting('server_version') AS v`);
        await run(`PostgreSQL ${v!.v}`, server);
      } finally {
        await server.close();
      }
    } finally {
      await scratch.drop();
    }
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
