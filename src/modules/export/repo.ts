// Keyset batches of one user's own records, reusing each module's repository (and so its visibility
// rules); nothing here is loaded whole, so an export of any size streams in bounded memory.
import type { Database } from '../../platform/db/index.ts';
import type { Actor } from '../auth/index.ts';
import { listVisible, type AppointmentView, type ClinicalGrant } from '../appointments/index.ts';
import { listPrescriptions, type PrescriptionRow } from '../prescriptions/index.ts';
import { history, listConversations, type MessageRow } from '../messages/index.ts';
import { listByAuthor, type PostWithAuthor } from '../posts/index.ts';
import { entryPage, signedNotePage, type EntryList, type EntryOf, type RecordKey, type VisitNote } from '../clinical/index.ts';
import { listEvents, listPatientEvents, type AuditRow } from '../audit/index.ts';
import { documentPage, type RecordDocument } from '../attachments/index.ts';
import { acceptancesNewestFirst, locationsNewestFirst, responsesNewestFirst, type PageKey } from '../intake/index.ts';

export const BATCH = 500;

/**
 * The export's clinical sections read under the caller's grants (appointments/access.ts): a patient's own
 * records, a verified doctor's records with their patients. An admin has no records of their own (their
 * grant would cover everyone's), so their sections are empty: `null` here.
 */
export async function* appointmentsOf(database: Database, grant: ClinicalGrant | null): AsyncGenerator<AppointmentView[]> {
  if (!grant) return;
  let after: [string, string] | null = null;
  for (;;) {
    const rows: AppointmentView[] = await listVisible(database.db, grant, { after, limit: BATCH });
    const page = rows.slice(0, BATCH);
    if (page.length) yield page;
    if (rows.length <= BATCH) return;
    const last = page[page.length - 1];
    after = [last.startsAt.toISOString(), last.id];
  }
}

export async function* prescriptionsOf(database: Database, grant: ClinicalGrant | null): AsyncGenerator<PrescriptionRow[]> {
  if (!grant) return;
  let after: { issuedAt: string; id: string } | null = null;
  for (;;) {
    const rows = await listPrescriptions(database.db, grant, [], after, BATCH);
    const page = rows.slice(0, BATCH);
    if (page.length) yield page;
    if (rows.length <= BATCH) return;
    const last = page[page.length - 1];
    after = { issuedAt: last.issuedAt.toISOString(), id: last.id };
  }
}

/** Every message the user sent or received: thread by thread, each thread newest first. */
export async function* messagesOf(database: Database, grant: ClinicalGrant | null): AsyncGenerator<MessageRow[]> {
  if (!grant) return;
  let threadsBefore: number | null = null;
  for (;;) {
    const threads = await listConversations(database, database.db, grant, threadsBefore, BATCH + 1);
    for (const t of threads.slice(0, BATCH)) {
      const pair = { doctorId: t.doctor_id, patientId: t.patient_id };
      let before: number | null = null;
      for (;;) {
        const rows = await history(database.db, grant, pair, before, BATCH);
        if (rows.length) yield rows;
        if (rows.length < BATCH) break;
        before = rows[rows.length - 1].seq;
      }
    }
    if (threads.length <= BATCH) return;
    threadsBefore = Number(threads[BATCH - 1].last_seq);
  }
}

export async function* postsOf(database: Database, actor: Actor): AsyncGenerator<PostWithAuthor[]> {
  if (actor.role !== 'DOCTOR') return;
  let after: { createdAt: string; id: string } | null = null;
  for (;;) {
    const rows = await listByAuthor(database.db, actor.userId, undefined, after, BATCH);
    const page = rows.slice(0, BATCH);
    if (page.length) yield page;
    if (rows.length <= BATCH) return;
    const last = page[page.length - 1];
    after = { createdAt: last.createdAt.toISOString(), id: last.id };
  }
}

/**
 * A patient's access log (every event about their data, with the actor's name); for doctors and
 * admins, the events they caused themselves.
 */
export async function* accessLogOf(
  database: Database,
  actor: Actor,
): AsyncGenerator<{ event: AuditRow; firstname: string | null; lastname: string | null }[]> {
  let beforeSeq: number | undefined;
  for (;;) {
    const rows =
      actor.role === 'PATIENT'
        ? await listPatientEvents(database.db, { patientId: actor.userId, beforeSeq, limit: BATCH })
        : (await listEvents(database.db, { actorId: actor.userId, beforeSeq, limit: BATCH })).map((event) => ({
            event,
            firstname: null,
            lastname: null,
          }));
    const page = rows.slice(0, BATCH);
    if (page.length) yield page;
    if (rows.length <= BATCH) return;
    beforeSeq = page[page.length - 1].event.seq;
  }
}

/** A list of the patient's clinical record (their grant on it: `clinical`), newest first. */
export async function* entriesOf<K extends EntryList>(
  database: Database,
  grant: ClinicalGrant | null,
  list: K,
): AsyncGenerator<EntryOf[K][]> {
  if (!grant) return;
  let key: RecordKey | null = null;
  for (;;) {
    const rows: { key: RecordKey; item: EntryOf[K] }[] = await entryPage(database.db, list, grant, key, BATCH);
    const page = rows.slice(0, BATCH);
    if (page.length) yield page.map((r) => r.item);
    if (rows.length <= BATCH) return;
    key = page[page.length - 1].key;
  }
}

/** The patient's signed visit notes (their grant on the record), newest first. */
export async function* signedNotesOf(database: Database, grant: ClinicalGrant | null): AsyncGenerator<VisitNote[]> {
  if (!grant) return;
  let key: RecordKey | null = null;
  for (;;) {
    const rows: { key: RecordKey; item: VisitNote }[] = await signedNotePage(database.db, grant, key, BATCH);
    const page = rows.slice(0, BATCH);
    if (page.length) yield page.map((r) => r.item);
    if (rows.length <= BATCH) return;
    key = page[page.length - 1].key;
  }
}

/** A keyset walk over one of the intake module's newest-first pages, in batches. */
async function* pages<T extends { key: PageKey }>(
  database: Database,
  grant: ClinicalGrant | null,
  page: (ex: Database['db'], grant: ClinicalGrant, key: PageKey | null, limit: number) => Promise<T[]>,
): AsyncGenerator<T[]> {
  if (!grant) return;
  let key: PageKey | null = null;
  for (;;) {
    const rows: T[] = await page(database.db, grant, key, BATCH);
    const batch = rows.slice(0, BATCH);
    if (batch.length) yield batch;
    if (rows.length <= BATCH) return;
    key = batch[batch.length - 1].key;
  }
}

/** The patient's intake answers (their grant on the record), each with the questionnaire version answered, newest first. */
export const intakesOf = (database: Database, grant: ClinicalGrant | null) => pages(database, grant, responsesNewestFirst);
/** The patient's telehealth consent acceptances, newest first. */
export const consentsOf = (database: Database, grant: ClinicalGrant | null) => pages(database, grant, acceptancesNewestFirst);
/** Where the patient stated they were for each visit, every statement, newest first. */
export const locationsOf = (database: Database, grant: ClinicalGrant | null) => pages(database, grant, locationsNewestFirst);

/** The attachments of the records the grant covers (the caller's threads), newest first: FHIR DocumentReferences. */
export async function* documentsOf(database: Database, grant: ClinicalGrant | null): AsyncGenerator<RecordDocument[]> {
  if (!grant) return;
  let after: [string, string] | null = null;
  for (;;) {
    const rows: { key: [string, string]; item: RecordDocument }[] = await documentPage(database.db, grant, after, BATCH);
    const page = rows.slice(0, BATCH);
    if (page.length) yield page.map((r) => r.item);
    if (rows.length <= BATCH) return;
    after = page[page.length - 1].key;
  }
}
