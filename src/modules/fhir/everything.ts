// Patient/{id}/$everything, paged: a patient with 100,000 messages must not make one response (or one
// process) hold all of them. Each page is filled from the record's sections in a fixed order —
// Patient, Appointments, MedicationRequests, the clinical record (AllergyIntolerance, MedicationStatement,
// Condition, Encounter + Composition), intake (QuestionnaireResponse, Consent, Basic location statements),
// attachments (DocumentReference), Communications — each read on its own keyset, and the opaque cursor in Bundle.link next names the section
// and the key to resume after.
import { now } from '../../platform/clock.ts';
import type { Bundle, BundleLink, Resource } from '@medplum/fhirtypes';
import { audit } from '../../platform/audit.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import type { Actor, RequestMeta } from '../auth/index.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Executor } from '../../platform/db/index.ts';
import { cursorCodec, encodeCursor } from '../../platform/pagination.ts';
import { service as patients } from '../patients/index.ts';
import { clinicalAccess, listVisible, toAppointment } from '../appointments/index.ts';
import { listPrescriptions, toPrescription } from '../prescriptions/index.ts';
import { toFhirPatient } from './mappers/patient.ts';
import { toFhirAppointment } from './mappers/appointment.ts';
import { toFhirMedicationRequests } from './mappers/medication-request.ts';
import { toFhirCommunication } from './mappers/communication.ts';
import * as repo from './repo.ts';
import type { EverythingQuery } from './schemas.ts';
import { clinicalSections } from './clinical.ts';
import { intakeSections } from './intake.ts';
import { documentSection } from './documents.ts';
import { summariesByMessage } from '../attachments/index.ts';

type Meta = RequestMeta & { actor: Actor };

/** Records per page unless `_count` says otherwise; `_count` may ask for up to EVERYTHING_MAX_COUNT. */
export const EVERYTHING_DEFAULT_COUNT = 100;
export const EVERYTHING_MAX_COUNT = 1000;

/** A resumable section: its cursor key is two strings (empty when the section starts from its beginning). */
type Key = [string, string];
interface Section {
  /** Reads up to `limit + 1` records after `key`; maps the first `limit` and returns the key of the last one taken. */
  read(tx: Executor, key: Key | null, limit: number): Promise<{ resources: Resource[]; more: boolean; last: Key | null }>;
}

function sections(p: Platform, actor: Actor, patientId: string): Record<SectionName, Section> {
  // Each section reads under its own grant for this patient (appointments/access.ts): the patient's own
  // records, or a verified doctor's records with them; admins never get this far (the Patient read is 404).
  const records = clinicalAccess(p, actor, 'records', patientId);
  const messages = clinicalAccess(p, actor, 'messages', patientId);
  const take = <R>(rows: R[], limit: number, key: (r: R) => Key, map: (r: R) => Resource[]) => {
    const page = rows.slice(0, limit);
    return { resources: page.flatMap(map), more: rows.length > limit, last: page.length ? key(page[page.length - 1]) : null };
  };
  return {
    // The clinical record (clinical.ts): allergies, medications, problems, signed notes.
    ...clinicalSections(p, actor, patientId),
    // Before the visits (intake.ts): intake answers with their questionnaire versions, consents, location statements.
    ...intakeSections(p, actor, patientId),
    // Attachments of the record the caller's threads with the patient carry (documents.ts), newest first.
    D: documentSection(p, actor, patientId),
    // Appointments the caller may see (the patient's own, or the doctor's with this patient).
    A: {
      read: async (tx, key, limit) =>
        take(
          await listVisible(tx, records, { after: key, limit }),
          limit,
          (a) => [a.startsAt.toISOString(), a.id],
          (a) => [toFhirAppointment(toAppointment(a))],
        ),
    },
    // Prescriptions of this patient; a doctor sees those they issued. One prescription is n MedicationRequests.
    M: {
      read: async (tx, key, limit) => {
        const rows = await listPrescriptions(tx, records, [], key ? { issuedAt: key[0], id: key[1] } : null, limit);
        return take(
          rows,
          limit,
          (r) => [r.issuedAt.toISOString(), r.id],
          (r) => toFhirMedicationRequests(toPrescription(r)),
        );
      },
    },
    // Messages of the patient's threads the caller takes part in, newest first.
    C: {
      read: async (tx, key, limit) => {
        const rows = await repo.searchMessages(tx, messages, { beforeSeq: key ? Number(key[0]) : null, limit });
        const files = await summariesByMessage(
          tx,
          messages,
          rows.slice(0, limit).map((m) => m.id),
        );
        const url = (id: string) => `${p.config.publicUrl}/api/v1/attachments/${id}`;
        return take(
          rows,
          limit,
          (m) => [String(m.seq), ''],
          (m) => [
            toFhirCommunication(
              m,
              (files.get(m.id) ?? []).map((a) => ({ ...a, url: url(a.id) })),
            ),
          ],
        );
      },
    },
  };
}

const ORDER = ['A', 'M', 'L', 'S', 'P', 'N', 'Q', 'K', 'W', 'D', 'C'] as const;
/** $everything pages: the section, and the sort key and id of the last resource shown in it. */
const EVERYTHING_CURSOR = cursorCodec('text', 'text', 'text');
type SectionName = (typeof ORDER)[number];

function parseCursor(cursor: string | undefined): { section: SectionName; key: Key | null } | null {
  // Three shapes in one cursor (which section, then its key): the codec checks the frame, the section its key.
  const v = EVERYTHING_CURSOR.decode(cursor, '/_cursor');
  if (!v) return null;
  const [section, a, b] = v;
  const bad = () => new AppError('VALIDATION_FAILED', 'Invalid cursor', [{ path: '/_cursor', message: 'is not a cursor from this list' }]);
  if (!(ORDER as readonly string[]).includes(section)) throw bad();
  if (a === '') return { section: section as SectionName, key: null };
  // Keys go back into SQL as timestamps, uuids or a seq: check their form so a forged cursor is a 400, not a 500.
  const ok =
    section === 'C'
      ? /^[0-9]{1,18}$/.test(a) && b === ''
      : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(a) &&
        !Number.isNaN(Date.parse(a)) &&
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(b);
  if (!ok) throw bad();
  return { section: section as SectionName, key: [a, b] };
}

/**
 * The patient and what the caller may see of their record, one page at a time. The patient reads all
 * of theirs; a doctor in care reads the appointments, prescriptions and messages between the two;
 * anyone else gets 404 from the patient read (done, and audited as `patient.read`, on every page, so a
 * later page cannot outlive the right to see the record). Each page is also recorded as
 * `patient.everything.read`. `_count` counts records: a prescription with n items gives n entries.
 */
export async function everything(p: Platform, meta: Meta, id: string, q: EverythingQuery, base: string): Promise<Bundle> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) throw notFound('patient');
  const limit = q._count ?? EVERYTHING_DEFAULT_COUNT;
  const cursor = parseCursor(q._cursor);
  const patient = await patients.getOne(p, meta, id);
  const all = sections(p, meta.actor, id);

  const { resources, next } = await p.db.transaction(async (tx) => {
    const out: Resource[] = cursor ? [] : [toFhirPatient(patient)];
    let next: [string, string, string] | null = null;
    // When the page fills up exactly as a section ends, the next sections are still asked for one row
    // (limit 0 reads 1), so a next link is only given when there is something after it.
    for (let i = cursor ? ORDER.indexOf(cursor.section) : 0; i < ORDER.length; i++) {
      const name = ORDER[i];
      const key = cursor && name === cursor.section ? cursor.key : null;
      const room = limit - out.length;
      const got = await all[name].read(tx, key, Math.max(room, 0));
      out.push(...got.resources);
      if (got.more) {
        const resume = got.last ?? key;
        next = [name, resume?.[0] ?? '', resume?.[1] ?? ''];
        break;
      }
    }
    await audit(tx, meta, { action: 'patient.everything.read', resourceType: 'patient', resourceId: id, patientId: id });
    return { resources: out, next };
  });

  const url = (c?: string) => {
    const u = new URLSearchParams();
    if (q._count !== undefined) u.set('_count', String(q._count));
    if (c) u.set('_cursor', c);
    const s = u.toString();
    return `${base}/Patient/${id}/$everything${s ? `?${s}` : ''}`;
  };
  const link: BundleLink[] = [{ relation: 'self', url: url(q._cursor) }];
  if (next) link.push({ relation: 'next', url: url(encodeCursor(next)) });
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    timestamp: now(p).toISOString(),
    link,
    entry: resources.map((resource) => ({
      fullUrl: `${base}/${resource.resourceType}/${resource.id}`,
      resource,
      search: { mode: 'match' },
    })),
  };
}
