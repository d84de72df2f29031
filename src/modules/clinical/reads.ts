// Reads of the clinical record for the FHIR API and the data export: under the caller's grant from the
// central access point (purpose `clinical`) and audited as the REST reads are. The keyset pages at the end
// are for a caller that holds the grant and records the disclosure itself ($everything, the export).
import { eq, type SQL } from 'drizzle-orm';
import { AppError, notFound } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Actor, RequestMeta } from '../auth/index.ts';
import { clinicalAccess, type ClinicalGrant } from '../appointments/index.ts';
import * as repo from './repo.ts';
import { allergyKind, listEntries, medicationKind, problemKind, type EntryKind } from './service.ts';
import { listNotes } from './notes.ts';
import { toNote, type Allergy, type ListQuery, type Medication, type Note, type Problem } from './schemas.ts';

type Meta = RequestMeta & { actor: Actor };

export interface EntryOf {
  allergies: Allergy;
  medications: Medication;
  problems: Problem;
}
export type EntryList = keyof EntryOf;

const KINDS: { [K in EntryList]: EntryKind<any, any, any, EntryOf[K]> } = {
  allergies: allergyKind,
  medications: medicationKind,
  problems: problemKind,
};

/** One entry by id, where the caller's grant covers its patient (else 404, as an unknown id); audited `<kind>.read`. */
export async function readEntry<K extends EntryList>(p: Platform, meta: Meta, list: K, id: string): Promise<EntryOf[K]> {
  const kind = KINDS[list];
  const grant = clinicalAccess(p, meta.actor, 'clinical');
  return p.db.transaction(async (tx) => {
    const row = await repo.findEntry(tx, kind.table, grant, id, false);
    if (!row) throw notFound(kind.name);
    await audit(tx, meta, { action: `${kind.name}.read`, resourceType: kind.name, resourceId: id, patientId: row.patientId });
    return kind.toApi(row);
  });
}

/**
 * One page of a patient's list, as GET /patients/{id}/<list> answers it (same grant, same audit), except that
 * a patient the caller may not see gives an empty page instead of 404: a FHIR search matches nothing.
 */
export async function searchEntries<K extends EntryList>(p: Platform, meta: Meta, list: K, patientId: string, q: ListQuery, filter?: SQL) {
  try {
    return await listEntries<any, any, any, EntryOf[K]>(p, meta, KINDS[list], patientId, q, filter);
  } catch (err) {
    if (err instanceof AppError && err.code === 'NOT_FOUND') return { items: [] as EntryOf[K][], nextCursor: null };
    throw err;
  }
}

/** The visit a note documents: its appointment's times and reason. */
export interface Visit {
  startsAt: string;
  endsAt: string;
  reason: string | null;
}
/** A signed note and its visit (the FHIR Composition and Encounter). */
export interface VisitNote {
  note: Note;
  visit: Visit | null;
}

async function withVisits(ex: Executor, grant: ClinicalGrant, notes: Note[]): Promise<VisitNote[]> {
  const visits = await repo.noteVisits(
    ex,
    grant,
    notes.map((n) => n.appointmentId),
  );
  return notes.map((note) => {
    const v = visits.get(note.appointmentId);
    return { note, visit: v ? { startsAt: v.startsAt.toISOString(), endsAt: v.endsAt.toISOString(), reason: v.reason } : null };
  });
}

/** A signed note and its visit: whoever the grant lets see the patient's signed notes. */
export async function readSignedNote(p: Platform, meta: Meta, appointmentId: string): Promise<VisitNote> {
  const grant = clinicalAccess(p, meta.actor, 'clinical');
  return p.db.transaction(async (tx) => {
    const note = await repo.findNote(tx, grant, appointmentId, eq(repo.visitNotes.status, 'SIGNED'));
    if (!note) throw notFound('visit note');
    await audit(tx, meta, { action: 'note.read', resourceType: 'visit_note', resourceId: appointmentId, patientId: note.patientId });
    const addenda = await repo.noteAddenda(tx, [appointmentId]);
    return (await withVisits(tx, grant, [toNote(note, addenda.get(appointmentId) ?? [])]))[0];
  });
}

/** A page of the patient's signed notes (as GET /patients/{id}/notes, signed only); empty where the caller may not see them. */
export async function searchSignedNotes(
  p: Platform,
  meta: Meta,
  patientId: string,
  q: ListQuery,
  filter?: SQL,
): Promise<{ items: VisitNote[]; nextCursor: string | null }> {
  let page: { items: Note[]; nextCursor: string | null };
  try {
    page = await listNotes(p, meta, patientId, q, true, filter);
  } catch (err) {
    if (err instanceof AppError && err.code === 'NOT_FOUND') return { items: [], nextCursor: null };
    throw err;
  }
  const grant = clinicalAccess(p, meta.actor, 'clinical', patientId);
  return { items: await withVisits(p.db, grant, page.items), nextCursor: page.nextCursor };
}

/** A keyset position: (recorded or created at, id). */
export type RecordKey = [string, string];

/**
 * Up to `limit + 1` entries of a list the grant covers after `key`, newest first, not audited: for a caller
 * that records the disclosure itself ($everything's page event, the export's export.read).
 */
export async function entryPage<K extends EntryList>(
  ex: Executor,
  list: K,
  grant: ClinicalGrant,
  key: RecordKey | null,
  limit: number,
): Promise<{ key: RecordKey; item: EntryOf[K] }[]> {
  const kind = KINDS[list];
  const rows = await repo.listEntries(ex, kind.table, grant, key && { at: key[0], id: key[1] }, limit);
  return rows.map((r) => ({ key: [r.recordedAt.toISOString(), r.id], item: kind.toApi(r) }));
}

/** Up to `limit + 1` signed notes the grant covers after `key`, newest first, not audited (as entryPage). */
export async function signedNotePage(ex: Executor, grant: ClinicalGrant, key: RecordKey | null, limit: number) {
  const rows = await repo.listNotes(ex, grant, eq(repo.visitNotes.status, 'SIGNED'), key && { at: key[0], id: key[1] }, limit);
  const addenda = await repo.noteAddenda(
    ex,
    rows.map((r) => r.appointmentId),
  );
  const items = await withVisits(
    ex,
    grant,
    rows.map((r) => toNote(r, addenda.get(r.appointmentId) ?? [])),
  );
  return rows.map((r, i) => ({ key: [r.createdAt.toISOString(), r.appointmentId] as RecordKey, item: items[i] }));
}
