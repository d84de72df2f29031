// The message digest (issue 25, point 5): a recipient who has not read a message within
// MESSAGE_DIGEST_DELAY_MINUTES gets one mail "you have N unread messages from X" with a link to the portal,
// never the text. One row per recipient in message_digests: a message sets its due time when none is pending
// (never sooner than one delay after the last digest, so at most one digest per recipient per delay); the
// worker of any instance claims due rows with SKIP LOCKED and queues the mail in the same transaction, so a
// digest goes out once across instances and restarts, and not at all when the messages were read in time.
import { pgTable, bigint, uuid } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { nowMs } from '../../platform/clock.ts';
import { prepared, runWithCommit, type Executor } from '../../platform/db/index.ts';
import { ts } from '../../platform/db/tables.ts';
import { enqueueMail } from '../../platform/mail.ts';
import { isLocale, t, DEFAULT_LOCALE, type Locale } from '../../platform/i18n.ts';
import type { Platform } from '../../platform/platform.ts';
import { portalUrl } from '../../platform/portal-pages.ts';
import { PollingWorker } from '../../platform/worker.ts';

export const messageDigests = pgTable('message_digests', {
  recipientId: uuid('recipient_id').primaryKey(),
  dueAt: ts('due_at'),
  coveredSeq: bigint('covered_seq', { mode: 'number' }).notNull(),
  sentAt: ts('sent_at'),
});

/** Leaves with the COMMIT of the message's transaction (no round trip on the send path). */
const SCHEDULE = prepared(
  'message_digest_schedule',
  `INSERT INTO message_digests AS d (recipient_id, due_at) VALUES ($1, $2::timestamptz + make_interval(mins => $3::int))
   ON CONFLICT (recipient_id) DO UPDATE
   SET due_at = COALESCE(d.due_at, GREATEST(EXCLUDED.due_at, d.sent_at + make_interval(mins => $3::int)))`,
);

/** A message to `recipientId` was sent at `at` (in the message's transaction): a digest is due unless one is pending. */
export async function scheduleDigest(p: Platform, tx: Executor, recipientId: string): Promise<void> {
  await runWithCommit(tx, SCHEDULE, [recipientId, new Date(nowMs(p)), p.config.messageDigestDelayMinutes]);
}

const BATCH = 20;
/** Senders named in one digest; more are summed up in a last line. */
const MAX_SENDERS = 10;

interface Due {
  recipient_id: string;
  covered_seq: number;
  email: string;
  firstname: string;
  lastname: string;
  role: 'PATIENT' | 'DOCTOR' | 'ADMIN';
  locale: string;
  account_status: string;
}

interface Unread {
  sender_id: string;
  firstname: string;
  lastname: string;
  role: string;
  n: number;
  last: number;
}

const name = (locale: Locale, x: { firstname: string; lastname: string; role: string }) => {
  const full = `${x.firstname} ${x.lastname}`;
  return x.role === 'DOCTOR' ? t(locale, 'mail.doctorName', { name: full }) : full;
};

async function digestOf(p: Platform, tx: Executor, d: Due): Promise<number | null> {
  // Senders with an unread message the last digest did not cover: how many unread from each (messages_unread_idx).
  const senders = await p.database.rows<Unread>(
    sql`SELECT m.sender_id, u.firstname, u.lastname, u.role, count(*)::int AS n, max(m.seq)::float8 AS last
        FROM messages m JOIN users u ON u.id = m.sender_id
        WHERE m.recipient_id = ${d.recipient_id} AND m.read_at IS NULL
        GROUP BY m.sender_id, u.firstname, u.lastname, u.role
        HAVING max(m.seq) > ${d.covered_seq}
        ORDER BY max(m.seq) DESC
        LIMIT ${MAX_SENDERS + 1}`,
    tx,
  );
  if (!senders.length || d.account_status !== 'ACTIVE') return null;
  const locale = isLocale(d.locale) ? d.locale : DEFAULT_LOCALE;
  const shown = senders.slice(0, MAX_SENDERS);
  const total = senders.reduce((s, x) => s + Number(x.n), 0);
  const conversation = d.role === 'DOCTOR' ? 'doctorConversation' : 'patientConversation';
  const list = d.role === 'DOCTOR' ? 'doctorMessages' : 'patientMessages';
  const link =
    senders.length === 1
      ? portalUrl(p.config.publicUrl, conversation, { userId: senders[0].sender_id })
      : portalUrl(p.config.publicUrl, list);
  await enqueueMail(tx, {
    kind: 'message.digest',
    to: d.email,
    subject: t(locale, 'digest.subject', { n: total }),
    text: [
      t(locale, 'mail.greeting', { name: `${d.firstname} ${d.lastname}` }),
      '',
      ...shown.map((x) => t(locale, 'digest.from', { n: Number(x.n), name: name(locale, x) })),
      ...(senders.length > MAX_SENDERS ? [t(locale, 'digest.more')] : []),
      '',
      t(locale, 'digest.read', { url: link }),
    ].join('\n'),
  });
  return Math.max(...senders.map((x) => Number(x.last)));
}

/**
 * One pass over due digests: each batch is claimed with SKIP LOCKED and settled in the transaction that
 * queues its mails, so however many instances run passes, each digest is queued once. Returns how many mails.
 */
export async function runDueDigests(p: Platform): Promise<number> {
  let queued = 0;
  for (;;) {
    const now = new Date(nowMs(p));
    const n = await p.db.transaction(async (tx) => {
      const due = await p.database.rows<Due>(
        sql`WITH c AS (
              SELECT recipient_id, covered_seq FROM message_digests WHERE due_at <= ${now}
              ORDER BY due_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED
            )
            SELECT c.recipient_id, c.covered_seq::float8 AS covered_seq, u.email, u.firstname, u.lastname, u.role, u.locale, u.account_status
            FROM c JOIN users u ON u.id = c.recipient_id`,
        tx,
      );
      let sent = 0;
      for (const d of due) {
        const covered = await digestOf(p, tx, d);
        if (covered !== null) sent++;
        await p.database.rows(
          covered !== null
            ? sql`UPDATE message_digests SET due_at = NULL, covered_seq = ${covered}, sent_at = ${now} WHERE recipient_id = ${d.recipient_id}`
            : sql`UPDATE message_digests SET due_at = NULL WHERE recipient_id = ${d.recipient_id}`,
          tx,
        );
      }
      return { claimed: due.length, sent };
    });
    queued += n.sent;
    if (n.sent) p.mail.kick();
    if (n.claimed < BATCH) return queued;
  }
}

/** Polls for due digests on every instance (REMINDER_POLL_MS); the database decides which instance sends each. */
export class DigestWorker extends PollingWorker {
  constructor(p: Platform) {
    super({ name: 'message digest pass', log: p.log, pass: () => runDueDigests(p), intervalMs: () => p.config.reminderPollMs });
  }
}
