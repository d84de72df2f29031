// Visit notes (SOAP), one per appointment: a draft its doctor edits, signed once, then immutable (the
// database refuses any change of a signed note, migrations/0021); corrections are addenda.
import { and, desc, eq, isNull, ne, or, sql, type SQL } from 'drizzle-orm';
import { AppError, invalidTransition, notFound } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { Platform } from '../../platform/platform.ts';
import { cursorCodec, DEFAULT_LIMIT, toPage } from '../../platform/pagination.ts';
import type { Actor, RequestMeta } from '../auth/index.ts';
import { appointments, clinicalAccess, lockAppointment, type ClinicalGrant } from '../appointments/index.ts';
import * as repo from './repo.ts';
import { toNote, type ListQuery, type PatientLocation, type PutNoteBody } from './schemas.ts';

type Meta = RequestMeta & { actor: Actor };

const CURSOR = cursorCodec('instant', 'uuid');
/** A note documents a visit that happened or is about to: not a PENDING or CANCELLED appointment. */
const NOTABLE = new Set(['CONFIRMED', 'COMPLETED', 'NO_SHOW']);
const noteSigned = () => new AppError('NOTE_SIGNED', 'The note is signed: only addenda may be added');

/**
 * The caller's own appointment (locked) and their grant on its patient's clinical record (the central access
 * point, purpose `clinical`), or 404: another doctor's appointment is not theirs to document, and a patient
 * outside the caller's care relationship is not theirs to write about.
 */
async function ownAppointment(ex: Executor, p: Platform, meta: Meta, appointmentId: string) {
  // Locked through booking, which owns appointments, so a transition cannot slip in between check and write.
  const appt = await lockAppointment(ex, appointmentId, meta.actor.userId);
  if (!appt || appt.doctorId !== meta.actor.userId) throw notFound('appointment');
  const grant = clinicalAccess(p, meta.actor, 'clinical', appt.patientId);
  if (!(await repo.covers(ex, grant))) throw notFound('appointment');
  return { appt, grant };
}

/** Which notes a caller sees of a record their grant covers: the patient signed ones; a doctor signed ones and their own drafts. */
function visibleNotes(grant: ClinicalGrant) {
  return grant.subject.role === 'PATIENT'
    ? eq(repo.visitNotes.status, 'SIGNED')
    : or(eq(repo.visitNotes.status, 'SIGNED'), eq(repo.visitNotes.doctorId, grant.userId))!;
}

/** The note as the API shows it: with its addenda, and a draft with the patient's latest location statement. */
async function withAddenda(p: Platform, ex: Executor, row: repo.NoteRow) {
  const addenda = await repo.noteAddenda(ex, [row.appointmentId]);
  const latest = row.status === 'SIGNED' ? null : await p.hooks.clinical.patientLocation.get()(ex, row.appointmentId);
  return toNote(row, addenda.get(row.appointmentId) ?? [], latest);
}

export async function putNote(p: Platform, meta: Meta, appointmentId: string, body: PutNoteBody) {
  return p.db.transaction(async (tx) => {
    const { appt, grant } = await ownAppointment(tx, p, meta, appointmentId);
    if (!NOTABLE.has(appt.status))
      throw invalidTransition(`A visit note needs a CONFIRMED, COMPLETED or NO_SHOW appointment; this one is ${appt.status}`);
    const old = await repo.findNote(tx, grant, appointmentId, undefined, true);
    if (old?.status === 'SIGNED') throw noteSigned();
    const soap = {
      subjective: body.subjective ?? null,
      objective: body.objective ?? null,
      assessment: body.assessment ?? null,
      plan: body.plan ?? null,
    };
    const [row] = old
      ? [await repo.updateNote(tx, grant, appointmentId, { ...soap, updatedAt: sql`date_trunc('milliseconds', now())` })]
      : await tx
          .insert(repo.visitNotes)
          .values({ appointmentId, patientId: appt.patientId, doctorId: appt.doctorId, status: 'DRAFT', ...soap })
          .returning();
    await audit(tx, meta, { action: 'note.update', resourceType: 'visit_note', resourceId: appointmentId, patientId: appt.patientId });
    return { created: !old, note: await withAddenda(p, tx, row) };
  });
}

export async function signNote(p: Platform, meta: Meta, appointmentId: string) {
  return p.db.transaction(async (tx) => {
    const { appt, grant } = await ownAppointment(tx, p, meta, appointmentId);
    const old = await repo.findNote(tx, grant, appointmentId, undefined, true);
    if (!old) throw notFound('visit note');
    if (old.status === 'SIGNED') throw noteSigned();
    // The location the patient stated last is what the signed note keeps (the draft showed it to the doctor).
    const place = await p.hooks.clinical.patientLocation.get()(tx, appointmentId);
    const row = await repo.updateNote(tx, grant, appointmentId, {
      status: 'SIGNED',
      locationCountry: place?.country ?? null,
      locationRegion: place?.region ?? null,
      locationCity: place?.city ?? null,
      locationStatedAt: place ? new Date(place.statedAt) : null,
      signedAt: sql`date_trunc('milliseconds', now())`,
      updatedAt: sql`date_trunc('milliseconds', now())`,
    });
    await audit(tx, meta, { action: 'note.sign', resourceType: 'visit_note', resourceId: appointmentId, patientId: appt.patientId });
    return withAddenda(p, tx, row);
  });
}

export async function addAddendum(p: Platform, meta: Meta, appointmentId: string, text: string) {
  return p.db.transaction(async (tx) => {
    const { appt, grant } = await ownAppointment(tx, p, meta, appointmentId);
    const note = await repo.findNote(tx, grant, appointmentId);
    if (!note) throw notFound('visit note');
    if (note.status !== 'SIGNED') throw invalidTransition('A draft is edited with PUT; addenda are for signed notes');
    const [row] = await tx.insert(repo.addenda).values({ appointmentId, doctorId: meta.actor.userId, text }).returning();
    await audit(tx, meta, {
      action: 'note.addendum.create',
      resourceType: 'visit_note',
      resourceId: appointmentId,
      patientId: appt.patientId,
    });
    return { id: row.id, text: row.text, createdAt: row.createdAt.toISOString() };
  });
}

/** Its doctor reads the note at any stage; its patient once it is signed; everyone else 404. */
export async function getNote(p: Platform, meta: Meta, appointmentId: string) {
  return p.db.transaction(async (tx) => {
    // The grant (the caller's whole scope: the patient is the note's) decides whose notes; its doctor reads
    // theirs at any stage, its patient once signed.
    const grant = clinicalAccess(p, meta.actor, 'clinical');
    const visible = grant.subject.role === 'PATIENT' ? eq(repo.visitNotes.status, 'SIGNED') : eq(repo.visitNotes.doctorId, grant.userId);
    const note = await repo.findNote(tx, grant, appointmentId, visible);
    if (!note) throw notFound('visit note');
    await audit(tx, meta, { action: 'note.read', resourceType: 'visit_note', resourceId: appointmentId, patientId: note.patientId });
    return withAddenda(p, tx, note);
  });
}

/** A patient's notes, newest first: the patient sees signed ones; a treating doctor signed ones and their own drafts. */
export async function listNotes(p: Platform, meta: Meta, patientId: string, q: ListQuery, signedOnly = false, filter?: SQL) {
  const limit = q.limit ?? DEFAULT_LIMIT;
  return p.db.transaction(async (tx) => {
    const grant = clinicalAccess(p, meta.actor, 'clinical', patientId);
    if (!(await repo.covers(tx, grant))) throw notFound('patient');
    const v = CURSOR.decode(q.cursor);
    const shownOnes = signedOnly ? eq(repo.visitNotes.status, 'SIGNED') : visibleNotes(grant);
    const visible = filter ? and(shownOnes, filter)! : shownOnes;
    const rows = await repo.listNotes(tx, grant, visible, v && { at: v[0], id: v[1] }, limit);
    const shown = rows.slice(0, limit);
    const addenda = await repo.noteAddenda(
      tx,
      shown.map((r) => r.appointmentId),
    );
    // A draft (its doctor's own) shows the latest location statement, as GET …/note does.
    const latest = new Map<string, PatientLocation>();
    for (const r of shown)
      if (r.status === 'DRAFT') latest.set(r.appointmentId, await p.hooks.clinical.patientLocation.get()(tx, r.appointmentId));
    const page = toPage(
      rows,
      limit,
      (r) => [r.createdAt.toISOString(), r.appointmentId],
      (r) => toNote(r, addenda.get(r.appointmentId) ?? [], latest.get(r.appointmentId) ?? null),
    );
    await audit(tx, meta, { action: 'note.list', resourceType: 'visit_note', patientId: page.items.length ? patientId : null });
    return page;
  });
}

/**
 * The doctor's to-do: their COMPLETED appointments without a signed note (none yet, or a draft),
 * newest first. Completing without a note is allowed; the agenda shows what is left to document.
 */
export async function noteTodos(p: Platform, meta: Meta) {
  // The doctor's own appointments: the access point's `records` rule (its doctor).
  const grant = clinicalAccess(p, meta.actor, 'records');
  return p.db.transaction(async (tx) => {
    const rows = await tx
      .select({
        appointmentId: appointments.id,
        patientId: appointments.patientId,
        startsAt: appointments.startsAt,
        noteStatus: repo.visitNotes.status,
      })
      .from(appointments)
      .leftJoin(repo.visitNotes, eq(repo.visitNotes.appointmentId, appointments.id))
      .where(
        and(
          grant.where({ patientId: appointments.patientId, doctorId: appointments.doctorId }),
          eq(appointments.doctorId, meta.actor.userId),
          eq(appointments.status, 'COMPLETED'),
          or(isNull(repo.visitNotes.status), ne(repo.visitNotes.status, 'SIGNED')),
        ),
      )
      .orderBy(desc(appointments.startsAt))
      .limit(100);
    const shown = [...new Set(rows.map((r) => r.patientId))];
    if (!shown.length) await audit(tx, meta, { action: 'note.todo.list', resourceType: 'visit_note', patientId: null });
    for (const patientId of shown) await audit(tx, meta, { action: 'note.todo.list', resourceType: 'visit_note', patientId });
    return rows.map((r) => ({
      appointmentId: r.appointmentId,
      patientId: r.patientId,
      startsAt: r.startsAt.toISOString(),
      noteStatus: r.noteStatus === 'DRAFT' ? ('DRAFT' as const) : ('MISSING' as const),
    }));
  });
}
