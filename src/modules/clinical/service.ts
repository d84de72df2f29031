import { sql, type SQL } from 'drizzle-orm';
import { AppError, forbidden, invalidTransition, notFound, validation } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { Platform } from '../../platform/platform.ts';
import { cursorCodec, DEFAULT_LIMIT, toPage } from '../../platform/pagination.ts';
import type { Actor, RequestMeta } from '../auth/index.ts';
import { clinicalAccess, type ClinicalGrant } from '../appointments/index.ts';
import * as repo from './repo.ts';
import {
  toAllergy,
  toMedication,
  toProblem,
  type Allergy,
  type Medication,
  type Problem,
  type CodedInput,
  type CreateAllergyBody,
  type CreateMedicationBody,
  type CreateProblemBody,
  type ListQuery,
  type PatchAllergyBody,
  type PatchMedicationBody,
  type PatchProblemBody,
} from './schemas.ts';
import { allergyTarget, isKnownCode, itemIngredients, matchAllergy, normalizeCoded, substanceByCode, type Coded } from './terminology.ts';

type Meta = RequestMeta & { actor: Actor };

/** (recorded_at, id), newest first. */
const CURSOR = cursorCodec('instant', 'uuid');
const NOW_MS = sql`date_trunc('milliseconds', now())`;

function decodeAfter(cursor: string | undefined) {
  const v = CURSOR.decode(cursor);
  return v && { at: v[0], id: v[1] };
}

/** A coded value as stored: a code must be one the terminology ships (400 otherwise); its display is the terminology's. */
function codedValue(v: CodedInput, path: string, terminology: boolean): Coded {
  if (v.code || v.system) {
    if (!terminology || !v.code || !isKnownCode(v)) throw validation(`${path}/code`, 'is not a code of the terminology the server ships');
    const known = substanceByCode(v.code);
    return normalizeCoded({ system: v.system, code: v.code, display: known?.display ?? v.display });
  }
  return { display: v.display };
}

/** The audit events of a list: one against the patient when it showed their entries, else one against nobody. */
async function auditList(ex: Executor, meta: Meta, action: string, resourceType: string, patientId: string, shown: number) {
  await audit(ex, meta, { action, resourceType, patientId: shown ? patientId : null });
}

/**
 * The caller's grant on one patient's clinical record, from the central access point (purpose `clinical`):
 * a doctor whose credentials are not verified gets 403 DOCTOR_NOT_VERIFIED there; a caller the grant does
 * not cover (admins, doctors without a care relationship, other patients) 404 as for an unknown patient.
 */
async function recordGrant(ex: Executor, p: Platform, meta: Meta, patientId: string): Promise<ClinicalGrant> {
  const grant = clinicalAccess(p, meta.actor, 'clinical', patientId);
  if (!(await repo.covers(ex, grant))) throw notFound('patient');
  return grant;
}

/** A change only a treating doctor makes: the patient, who can see their record, gets 403. */
function clinician(grant: ClinicalGrant): void {
  if (grant.subject.role !== 'DOCTOR') throw forbidden('Only a treating doctor may change this part of the record');
}

/** Shared rules of a PATCH: entered-in-error is final and records who and when. */
function enteredInError(status: string | undefined, meta: Meta) {
  return status === 'entered-in-error' ? { enteredInErrorBy: meta.actor.userId, enteredInErrorAt: NOW_MS } : {};
}

/** The properties of a PATCH body that were sent, as column values (null clears an optional one). */
function sent<B extends object>(body: B, keys: (keyof B & string)[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => body[k] !== undefined).map((k) => [k, body[k]]));
}

/**
 * One list of the record (allergies, medications, problems): its table, its audit names, its mapping, and
 * what differs between them — the coded value, the fields a create and a PATCH carry, whether the patient
 * may self-report (then unconfirmed), and whether writes take the allergy-set lock of the prescribing check.
 * The rules every list shares (access, self-report, entered-in-error, audit) are written once below.
 */
export interface EntryKind<T extends repo.EntryTable, C, P, Out> {
  table: T;
  /** Audit action prefix and resourceType. */
  name: 'allergy' | 'medication' | 'problem';
  statusOf: (row: T['$inferSelect']) => string;
  toApi: (row: T['$inferSelect']) => Out;
  /** The patient may record entries themself (verification unconfirmed); else only a treating doctor. */
  selfReport: boolean;
  /** Writes take the patient's allergy-set lock (the prescribing check reads the set under it). */
  allergySet: boolean;
  /** The kind's own columns of a new entry (the coded value validated; status defaulted). */
  values: (body: C) => Record<string, unknown>;
  /** The kind's own columns a PATCH changes, and the status it sets (for entered-in-error). */
  changes: (body: P) => { set: Record<string, unknown>; status?: string };
}

const CODED_WITH_TERMINOLOGY = true;

export const allergyKind: EntryKind<typeof repo.allergies, CreateAllergyBody, PatchAllergyBody, Allergy> = {
  table: repo.allergies,
  name: 'allergy',
  statusOf: (r) => r.status,
  toApi: toAllergy,
  selfReport: true,
  allergySet: true,
  values: (b) => {
    const c = codedValue(b.substance, '/substance', CODED_WITH_TERMINOLOGY);
    return {
      substanceSystem: c.system ?? null,
      substanceCode: c.code ?? null,
      substanceDisplay: c.display,
      category: b.category,
      criticality: b.criticality,
      reaction: b.reaction ?? null,
      status: b.status ?? 'active',
    };
  },
  changes: (b) => ({ set: sent(b, ['category', 'criticality', 'reaction', 'status', 'verification']), status: b.status }),
};

export const medicationKind: EntryKind<typeof repo.medications, CreateMedicationBody, PatchMedicationBody, Medication> = {
  table: repo.medications,
  name: 'medication',
  statusOf: (r) => r.status,
  toApi: toMedication,
  selfReport: true,
  allergySet: false,
  values: (b) => {
    const c = codedValue(b.medication, '/medication', CODED_WITH_TERMINOLOGY);
    return {
      medicationSystem: c.system ?? null,
      medicationCode: c.code ?? null,
      medicationDisplay: c.display,
      dosage: b.dosage ?? null,
      status: b.status ?? 'active',
      since: b.since ?? null,
    };
  },
  changes: (b) => ({ set: sent(b, ['dosage', 'status', 'verification', 'since']), status: b.status }),
};

export const problemKind: EntryKind<typeof repo.problems, CreateProblemBody, PatchProblemBody, Problem> = {
  table: repo.problems,
  name: 'problem',
  statusOf: (r) => r.clinicalStatus,
  toApi: toProblem,
  selfReport: false,
  allergySet: false,
  values: (b) => ({
    // The server ships no condition terminology: a condition is free text (a code answers 400).
    conditionDisplay: codedValue(b.condition, '/condition', false).display,
    clinicalStatus: b.clinicalStatus ?? 'active',
    onset: b.onset ?? null,
    note: b.note ?? null,
  }),
  changes: (b) => ({ set: sent(b, ['clinicalStatus', 'onset', 'note']), status: b.clinicalStatus }),
};

/** Whether entries of this kind carry a verification (the self-reportable ones). */
const verified = (kind: { selfReport: boolean }) => kind.selfReport;

export async function listEntries<T extends repo.EntryTable, C, P, Out>(
  p: Platform,
  meta: Meta,
  kind: EntryKind<T, C, P, Out>,
  patientId: string,
  q: ListQuery,
  filter?: SQL,
) {
  const limit = q.limit ?? DEFAULT_LIMIT;
  return p.db.transaction(async (tx) => {
    const grant = await recordGrant(tx, p, meta, patientId);
    const rows = await repo.listEntries(tx, kind.table, grant, decodeAfter(q.cursor), limit, filter);
    const page = toPage(rows, limit, (r) => [r.recordedAt.toISOString(), r.id], kind.toApi);
    await auditList(tx, meta, `${kind.name}.list`, kind.name, patientId, page.items.length);
    return page;
  });
}

export async function createEntry<T extends repo.EntryTable, C extends { verification?: 'confirmed' | 'unconfirmed' }, P, Out>(
  p: Platform,
  meta: Meta,
  kind: EntryKind<T, C, P, Out>,
  patientId: string,
  body: C,
) {
  return p.db.transaction(async (tx) => (await createEntryIn(tx, p, meta, kind, patientId, body)).out);
}

/** The intake answer an entry is copied from: the response (its appointment's id) and the item. */
export interface EntrySourceRef {
  responseId: string;
  linkId: string;
}

/**
 * createEntry in the caller's transaction, optionally recording the intake answer it came from (copies.ts):
 * the same grant, rules and audit event as any new entry.
 */
export async function createEntryIn<T extends repo.EntryTable, C extends { verification?: 'confirmed' | 'unconfirmed' }, P, Out>(
  tx: Executor,
  p: Platform,
  meta: Meta,
  kind: EntryKind<T, C, P, Out>,
  patientId: string,
  body: C,
  source?: EntrySourceRef,
  requireClinician = false,
): Promise<{ row: T['$inferSelect']; out: Out }> {
  const grant = await recordGrant(tx, p, meta, patientId);
  const patient = grant.subject.role === 'PATIENT';
  if (!kind.selfReport || requireClinician) clinician(grant);
  if (patient && body.verification === 'confirmed')
    throw forbidden(`A self-reported ${kind.name} stays unconfirmed until a doctor confirms it`);
  const values = kind.values(body);
  if (kind.allergySet) await repo.lockAllergySet(tx, patientId);
  const verification = patient ? 'unconfirmed' : (body.verification ?? 'confirmed');
  const row = await repo.insertEntry(tx, kind.table, {
    ...values,
    patientId,
    recordedBy: meta.actor.userId,
    updatedBy: meta.actor.userId,
    ...(verified(kind) ? { verification, confirmedBy: verification === 'confirmed' ? meta.actor.userId : null } : {}),
    ...(source ? { sourceResponseId: source.responseId, sourceLinkId: source.linkId } : {}),
  });
  await audit(tx, meta, { action: `${kind.name}.create`, resourceType: kind.name, resourceId: row.id, patientId });
  return { row, out: kind.toApi(row) };
}

/** Only a treating doctor changes an entry; nothing is deleted: entered-in-error is final and records who and when. */
export async function patchEntry<T extends repo.EntryTable, C, P extends { verification?: 'confirmed' | 'unconfirmed' }, Out>(
  p: Platform,
  meta: Meta,
  kind: EntryKind<T, C, P, Out>,
  patientId: string,
  id: string,
  body: P,
) {
  return p.db.transaction(async (tx) => {
    const grant = await recordGrant(tx, p, meta, patientId);
    clinician(grant);
    if (kind.allergySet) await repo.lockAllergySet(tx, patientId);
    const old = await repo.findEntry(tx, kind.table, grant, id);
    if (!old) throw notFound(kind.name);
    if (kind.statusOf(old) === 'entered-in-error') throw invalidTransition('An entry marked entered-in-error cannot change');
    const { set, status } = kind.changes(body);
    const confirms = verified(kind) && body.verification === 'confirmed' && (old as { verification?: string }).verification !== 'confirmed';
    const row = await repo.updateEntry(tx, kind.table, grant, id, {
      ...set,
      ...(confirms ? { confirmedBy: meta.actor.userId } : {}),
      ...enteredInError(status, meta),
      updatedBy: meta.actor.userId,
      updatedAt: NOW_MS,
    });
    await audit(tx, meta, { action: `${kind.name}.update`, resourceType: kind.name, resourceId: id, patientId });
    return kind.toApi(row);
  });
}

// ---------- allergy-aware prescribing ----------

export interface AllergyConflict {
  itemIndex: number;
  allergyId: string;
  substance: Coded;
  match: 'substance' | 'class';
  /** The shared class, for a class match. */
  class?: string;
}

/**
 * The conflicts of prescription items with the patient's active allergies, checked inside the caller's
 * transaction under the patient's allergy-set lock (held to its commit), so an allergy recorded
 * concurrently is either seen here or recorded after the prescription exists. The allergies are read
 * under the prescriber's own grant on the patient's clinical record; a prescriber whose grant does not
 * cover the patient (a care relationship that ended) could not be warned, so is refused (404) rather
 * than given an unchecked prescription.
 */
export async function allergyConflicts(
  ex: Executor,
  p: Platform,
  actor: Actor,
  patientId: string,
  items: { medication: string; medicationCode?: CodedInput }[],
): Promise<AllergyConflict[]> {
  const grant = clinicalAccess(p, actor, 'clinical', patientId);
  await repo.lockAllergySet(ex, patientId);
  if (!(await repo.covers(ex, grant))) throw notFound('patient');
  const active = await repo.activeAllergies(ex, grant);
  const targets = active.map((a) => ({
    row: a,
    target: allergyTarget(
      a.substanceCode
        ? { system: a.substanceSystem ?? undefined, code: a.substanceCode, display: a.substanceDisplay }
        : { display: a.substanceDisplay },
    ),
  }));
  const out: AllergyConflict[] = [];
  items.forEach((item, itemIndex) => {
    const ingredients = itemIngredients(item);
    for (const { row, target } of targets) {
      const m = matchAllergy(ingredients, item.medicationCode?.display ?? item.medication, target);
      if (!m) continue;
      out.push({
        itemIndex,
        allergyId: row.id,
        substance:
          row.substanceCode && row.substanceSystem
            ? { system: row.substanceSystem, code: row.substanceCode, display: row.substanceDisplay }
            : { display: row.substanceDisplay },
        match: m.match,
        ...(m.match === 'class' ? { class: m.className } : {}),
      });
    }
  });
  return out;
}

export function allergyConflictError(conflicts: AllergyConflict[]): AppError {
  const first = conflicts[0];
  return new AppError(
    'ALLERGY_CONFLICT',
    `Item ${first.itemIndex} matches the active allergy to ${first.substance.display} (${first.match === 'class' ? `class: ${first.class}` : 'same substance'}); send overrideReason to issue it anyway`,
    undefined,
    undefined,
    { conflicts },
  );
}
