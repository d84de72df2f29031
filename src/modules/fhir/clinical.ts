// The clinical record's FHIR resource types: read by id, search by patient, and their sections of
// Patient/$everything. Everything goes through the clinical module's reads, so the grant (the central access
// point, purpose `clinical`) and the audit are the REST API's.
import type { Resource } from '@medplum/fhirtypes';
import { sql, type SQL } from 'drizzle-orm';
import { AppError, notFound } from '../../platform/errors.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Actor, RequestMeta } from '../auth/index.ts';
import { appointments, clinicalAccess } from '../appointments/index.ts';
import {
  allergies,
  medications,
  problems,
  visitNotes,
  entryPage,
  readEntry,
  readSignedNote,
  searchEntries,
  searchSignedNotes,
  signedNotePage,
  type EntryList,
  type RecordKey,
} from '../clinical/index.ts';
import {
  toFhirAllergyIntolerance,
  toFhirComposition,
  toFhirCondition,
  toFhirEncounter,
  toFhirMedicationStatement,
} from './mappers/clinical.ts';
import { DATE_SEARCH_PARAMS, type SearchQuery } from './schemas.ts';
import { dateConditions, dayTarget, instantTarget, openFromDayTarget, parseDateParam, type DateBound } from './date-search.ts';

type Meta = RequestMeta & { actor: Actor };

export const CLINICAL_TYPES = ['AllergyIntolerance', 'MedicationStatement', 'Condition', 'Encounter', 'Composition'] as const;
export type ClinicalType = (typeof CLINICAL_TYPES)[number];
export const isClinicalType = (t: string): t is ClinicalType => (CLINICAL_TYPES as readonly string[]).includes(t);

const LIST: Record<'AllergyIntolerance' | 'MedicationStatement' | 'Condition', EntryList> = {
  AllergyIntolerance: 'allergies',
  MedicationStatement: 'medications',
  Condition: 'problems',
};
const MAP = {
  allergies: toFhirAllergyIntolerance,
  medications: toFhirMedicationStatement,
  problems: toFhirCondition,
} as const;
const toFhirEntry = (list: EntryList, item: any): Resource => (MAP[list] as (x: unknown) => Resource)(item);

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function readClinical(p: Platform, meta: Meta, type: ClinicalType, id: string): Promise<Resource> {
  if (!UUID.test(id)) throw notFound(type);
  if (type === 'Encounter') return toFhirEncounter(await readSignedNote(p, meta, id));
  if (type === 'Composition') return toFhirComposition(await readSignedNote(p, meta, id));
  const list = LIST[type];
  return toFhirEntry(list, await readEntry(p, meta, list, id));
}

/**
 * The date search parameters of each type, by their R4 names, and the element each searches (the R4
 * SearchParameter registry, http://hl7.org/fhir/R4/searchparameter-registry.html): `date` is
 * AllergyIntolerance.recordedDate, Encounter.period and Composition.date; Condition has `recorded-date`
 * (recordedDate) and `onset-date` (onsetDateTime); MedicationStatement `effective` (effectivePeriod, which
 * starts on the day the medication was taken since and, having no end, is ongoing).
 */
export const CLINICAL_DATE_PARAMS: Record<ClinicalType, Record<string, string>> = {
  AllergyIntolerance: { date: 'AllergyIntolerance.recordedDate' },
  MedicationStatement: { effective: 'MedicationStatement.effective (effectivePeriod: from the day it is taken since, ongoing)' },
  Condition: { 'recorded-date': 'Condition.recordedDate', 'onset-date': 'Condition.onsetDateTime (a calendar date)' },
  Encounter: { date: 'Encounter.period (the visit: its appointment from start to end)' },
  Composition: { date: 'Composition.date (when the note was signed)' },
};

/** The rows' condition for one date parameter's values on one type. */
function dateFilter(type: ClinicalType, param: string, bounds: DateBound[]): SQL | undefined {
  switch (`${type} ${param}`) {
    case 'AllergyIntolerance date':
      return dateConditions(instantTarget(allergies.recordedAt), bounds);
    case 'MedicationStatement effective':
      return dateConditions(openFromDayTarget(medications.since), bounds);
    case 'Condition recorded-date':
      return dateConditions(instantTarget(problems.recordedAt), bounds);
    case 'Condition onset-date':
      return dateConditions(dayTarget(problems.onset), bounds);
    case 'Composition date':
      return dateConditions(instantTarget(visitNotes.signedAt), bounds);
    case 'Encounter date': {
      // The visit's period is its appointment's: one primary-key lookup per note of the patient.
      const period = { start: sql`${appointments.startsAt}`, end: sql`(${appointments.endsAt} + interval '1 millisecond')` };
      const cond = dateConditions(period, bounds);
      return cond && sql`EXISTS (SELECT 1 FROM ${appointments} WHERE ${appointments.id} = ${visitNotes.appointmentId} AND ${cond})`;
    }
    default:
      return undefined;
  }
}

/** A date parameter this type has no such search for: 400, naming the ones it has. */
export function refuseDateParams(type: string, q: SearchQuery, supported: readonly string[] = []): void {
  for (const param of DATE_SEARCH_PARAMS) {
    if (q[param] === undefined || supported.includes(param)) continue;
    const has = supported.length ? `; it has ${supported.join(', ')}` : '';
    throw new AppError('VALIDATION_FAILED', `${type} does not support the search parameter ${param}${has}`, [
      { path: `/${param}`, message: 'is not supported for this resource type' },
    ]);
  }
}

/** The condition of all of a search's date parameters (each value a condition, all AND-ed); 400 for others. */
function clinicalDateFilter(type: ClinicalType, q: SearchQuery): SQL | undefined {
  const supported = Object.keys(CLINICAL_DATE_PARAMS[type]);
  refuseDateParams(type, q, supported);
  const parts = supported.map((param) => dateFilter(type, param, parseDateParam(param, q[param as keyof SearchQuery] as string[])));
  const present = parts.filter((x): x is SQL => x !== undefined);
  return present.length ? sql.join(present, sql` AND `) : undefined;
}

/**
 * The patient a by-patient search is about: the named one, else a patient's own self; a doctor must name one (400).
 * Date parameters are each type's own (checked by its caller). Shared by the clinical record's and intake's types (intake.ts).
 */
export function searchedPatient(meta: Meta, type: string, q: SearchQuery): string {
  const patientId = q.patient?.replace(/^Patient\//, '') ?? (meta.actor.role === 'PATIENT' ? meta.actor.userId : undefined);
  if (!patientId)
    throw new AppError('VALIDATION_FAILED', `${type} search needs the patient`, [{ path: '/patient', message: 'is required' }]);
  return patientId;
}

/**
 * Search by patient: the patient's own record by default for a patient; a doctor names the patient
 * (`patient` required, 400 without). A patient the caller may not see matches nothing. The type's date
 * parameters (CLINICAL_DATE_PARAMS) narrow the same single query.
 */
export async function searchClinical(
  p: Platform,
  meta: Meta,
  type: ClinicalType,
  q: SearchQuery,
  limit: number,
): Promise<{ resources: Resource[]; nextCursor: string | null }> {
  // Parameters first: a bad date is 400 whoever asks.
  const filter = clinicalDateFilter(type, q);
  const patientId = searchedPatient(meta, type, q);
  const query = { limit, cursor: q._cursor };
  if (type === 'Encounter' || type === 'Composition') {
    const page = await searchSignedNotes(p, meta, patientId, query, filter);
    const map: (n: (typeof page.items)[number]) => Resource = type === 'Encounter' ? toFhirEncounter : toFhirComposition;
    return { resources: page.items.map(map), nextCursor: page.nextCursor };
  }
  const list = LIST[type];
  const page = await searchEntries(p, meta, list, patientId, query, filter);
  return { resources: page.items.map((i) => toFhirEntry(list, i)), nextCursor: page.nextCursor };
}

type Key = [string, string];
interface Section {
  read(tx: Executor, key: Key | null, limit: number): Promise<{ resources: Resource[]; more: boolean; last: Key | null }>;
}

/**
 * $everything's sections of the clinical record, under the caller's grant on the patient's record: L
 * allergies, S medications, P problems, N signed notes (each an Encounter and its Composition).
 */
export function clinicalSections(p: Platform, actor: Actor, patientId: string): Record<'L' | 'S' | 'P' | 'N', Section> {
  const grant = clinicalAccess(p, actor, 'clinical', patientId);
  const section = <T>(
    page: (tx: Executor, key: RecordKey | null, limit: number) => Promise<{ key: RecordKey; item: T }[]>,
    map: (item: T) => Resource[],
  ): Section => ({
    read: async (tx, key, limit) => {
      const rows = await page(tx, key, limit);
      const shown = rows.slice(0, limit);
      return {
        resources: shown.flatMap((r) => map(r.item)),
        more: rows.length > limit,
        last: shown.length ? shown[shown.length - 1].key : null,
      };
    },
  });
  const entries = (list: EntryList) =>
    section(
      (tx, key, limit) => entryPage(tx, list, grant, key, limit),
      (item) => [toFhirEntry(list, item)],
    );
  return {
    L: entries('allergies'),
    S: entries('medications'),
    P: entries('problems'),
    N: section(
      (tx, key, limit) => signedNotePage(tx, grant, key, limit),
      (n) => [toFhirEncounter(n), toFhirComposition(n)],
    ),
  };
}
