import { now } from '../../platform/clock.ts';
import { AppError, notFound, validation } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { Actor, RequestMeta } from '../auth/index.ts';
import type { Platform } from '../../platform/platform.ts';
import { DEFAULT_LIMIT, cursorCodec, toPage } from '../../platform/pagination.ts';
import { careRelationshipExists, clinicalAccess, clinicalAudience, type ClinicalGrant } from '../appointments/index.ts';
import { attachToMessage, summariesByMessage } from '../attachments/index.ts';
import { conversationRead, notify } from '../inbox/index.ts';
import { scheduleDigest } from './digest.ts';
import * as repo from './repo.ts';
import { toMessage, type Conversation, type Message } from './schemas.ts';

type Meta = RequestMeta & { actor: Actor };
type Participant = 'DOCTOR' | 'PATIENT';

interface Thread {
  pair: repo.Pair;
  other: repo.UserRef;
  related: boolean;
}

/**
 * The thread between the caller and `otherId`, if the caller may see it. The other user is visible when
 * they are of the opposite role (doctor ↔ patient) and either a care relationship exists, the two already
 * have messages, or — for a patient looking at a doctor — the doctor is verified (public directory).
 * Anything else, including a missing user, an admin, or oneself, is NOT_FOUND.
 */
async function resolveThread(p: Platform, ex: Executor, actor: Actor, otherId: string): Promise<Thread> {
  const role = actor.role as Participant;
  const other = otherId === actor.userId ? null : await repo.findUser(p.database, ex, otherId);
  if (!other || other.role === 'ADMIN' || other.role === role) throw notFound('conversation');
  const pair: repo.Pair =
    role === 'DOCTOR' ? { doctorId: actor.userId, patientId: other.id } : { doctorId: other.id, patientId: actor.userId };
  const related = await careRelationshipExists(ex, pair.doctorId, pair.patientId, p.config.careRelationshipDays, now(p));
  if (related) return { pair, other, related };
  if (await repo.conversationExists(p.database, ex, pair)) return { pair, other, related };
  if (role === 'PATIENT' && other.doctorStatus === 'VERIFIED') return { pair, other, related };
  throw notFound('conversation');
}

export async function send(p: Platform, meta: Meta, otherId: string, input: { body?: string; attachmentIds?: string[] }): Promise<Message> {
  const attachmentIds = input.attachmentIds ?? [];
  if (input.body === undefined && attachmentIds.length === 0) {
    throw validation('/body', 'A message needs a body, attachments, or both');
  }
  const grant = clinicalAccess(p, meta.actor, 'messages');
  const sent = await p.db.transaction(async (tx) => {
    // Bounded per user, so that one account cannot flood a thread, the database or the other's sockets.
    const recent = await repo.recentSends(tx, meta.actor.userId, p.config.messageRateWindowSeconds, p.config.messageRateMax);
    if (recent.count >= p.config.messageRateMax) {
      throw new AppError(
        'RATE_LIMITED',
        `At most ${p.config.messageRateMax} messages per ${p.config.messageRateWindowSeconds} seconds`,
        undefined,
        { 'retry-after': String(recent.retryAfterSeconds) },
      );
    }
    const thread = await resolveThread(p, tx, meta.actor, otherId);
    if (!thread.related) {
      throw new AppError(
        'NO_CARE_RELATIONSHIP',
        'Messages need an appointment between this doctor and patient that is pending, confirmed, completed or a no-show',
      );
    }
    const row = await repo.insertMessage(tx, grant, thread.pair, meta.actor.userId, otherId, input.body ?? '');
    const attached = await attachToMessage(tx, grant, attachmentIds, { ...thread.pair, id: row.id, senderId: meta.actor.userId });
    await audit(tx, meta, { action: 'message.send', resourceType: 'message', resourceId: row.id, patientId: thread.pair.patientId });
    // The recipient's list gains (or bumps) one "new messages from" entry, and a digest mail is due if they
    // do not read it in time: both with this transaction, never with the text.
    await notify(p, tx, [{ userId: otherId, kind: 'message.received', personId: meta.actor.userId }]);
    await scheduleDigest(p, tx, otherId);
    // The sending doctor was verified by the grant; a patient's doctor is verified or not by their row.
    const doctorStatus = meta.actor.role === 'DOCTOR' ? meta.actor.doctorStatus : thread.other.doctorStatus;
    return { message: toMessage(row, attached), audience: clinicalAudience(thread.pair, doctorStatus) };
  });
  // The frame carries the message: it does not reach a doctor whose verification was withdrawn.
  await p.bus.publish(sent.audience, { type: 'message.created', message: sent.message });
  return sent.message;
}

/** The attachment summaries of the listed messages, by message id, read under the same grant. */
const attachmentsOf = (tx: Executor, grant: ClinicalGrant, rows: { id: string }[]) =>
  summariesByMessage(
    tx,
    grant,
    rows.map((r) => r.id),
  );

/** A message seq (history) or a thread's last seq (conversations), newest first. */
const SEQ_CURSOR = cursorCodec('int');

export async function listMessages(p: Platform, meta: Meta, otherId: string, q: { limit?: number; cursor?: string }) {
  const limit = q.limit ?? DEFAULT_LIMIT;
  const cursor = SEQ_CURSOR.decode(q.cursor);
  const grant = clinicalAccess(p, meta.actor, 'messages');
  return p.db.transaction(async (tx) => {
    const thread = await resolveThread(p, tx, meta.actor, otherId);
    const rows = await repo.history(tx, grant, thread.pair, cursor ? cursor[0] : null, limit + 1);
    const files = await attachmentsOf(tx, grant, rows.slice(0, limit));
    // An empty history showed nothing of the patient: recorded, but not in their access log.
    await audit(tx, meta, {
      action: 'message.list',
      resourceType: 'conversation',
      resourceId: otherId,
      patientId: rows.length ? thread.pair.patientId : null,
    });
    return toPage(
      rows,
      limit,
      (r) => [r.seq],
      (r) => toMessage(r, files.get(r.id)),
    );
  });
}

export async function markRead(p: Platform, meta: Meta, otherId: string, upTo: string): Promise<void> {
  const grant = clinicalAccess(p, meta.actor, 'messages');
  const result = await p.db.transaction(async (tx) => {
    const thread = await resolveThread(p, tx, meta.actor, otherId);
    const target = await repo.findMessageInPair(tx, grant, thread.pair, upTo);
    if (!target) throw notFound('message in this conversation');
    const changed = await repo.markRead(tx, grant, otherId, target.seq);
    // Reading the conversation reads its "new messages" entry in the notification list.
    await conversationRead(p, tx, meta.actor.userId, otherId);
    if (changed.count > 0) {
      await audit(tx, meta, {
        action: 'message.mark_read',
        resourceType: 'conversation',
        resourceId: otherId,
        patientId: thread.pair.patientId,
      });
    }
    return changed;
  });
  if (result.count > 0 && result.readAt) {
    // The sender sees the receipt; the reader's other devices update their unread counts.
    await p.bus.publish([otherId, meta.actor.userId], {
      type: 'message.read',
      readerId: meta.actor.userId,
      senderId: otherId,
      upTo,
      readAt: result.readAt.toISOString(),
      count: result.count,
    });
  }
}

export async function listConversations(p: Platform, meta: Meta, q: { limit?: number; cursor?: string }) {
  const limit = q.limit ?? DEFAULT_LIMIT;
  const cursor = SEQ_CURSOR.decode(q.cursor);
  const grant = clinicalAccess(p, meta.actor, 'messages');
  return p.db.transaction(async (tx) => {
    const rows = await repo.listConversations(p.database, tx, grant, cursor ? cursor[0] : null, limit + 1);
    const files = await attachmentsOf(tx, grant, rows.slice(0, limit));
    const page = toPage(
      rows,
      limit,
      (r) => [Number(r.last_seq)],
      (r): Conversation => ({
        participant: { id: r.other_id, firstname: r.firstname, lastname: r.lastname, role: r.role },
        lastMessage: toMessage(
          {
            id: r.id,
            senderId: r.sender_id,
            recipientId: r.recipient_id,
            body: r.body,
            createdAt: r.created_at as Date,
            readAt: r.read_at as Date | null,
          },
          files.get(r.id),
        ),
        unreadCount: Number(r.unread),
      }),
    );
    // Each listed thread shows a message of that patient: one audit event per thread.
    for (const r of rows.slice(0, limit)) {
      await audit(tx, meta, { action: 'conversation.list', resourceType: 'conversation', resourceId: r.other_id, patientId: r.patient_id });
    }
    return page;
  });
}
