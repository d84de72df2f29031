import { sql } from 'drizzle-orm';
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

// ---------- allergies ----------

export async function listAllergies(p: Platform, meta: Meta, patientId: string, q: ListQuery) {
  const limit = q.limit ?? DEFAULT_LIMIT;
  return p.db.transaction(async (tx) => {
    const grant = await recordGrant(tx, p, meta, patientId);
    const rows = await repo.listEntries(tx, repo.allergies, grant, decodeAfter(q.cursor), limit);
    const page = toPage(rows, limit, (r) => [r.recordedAt.toISOString(), r.id], toAllergy);
    await auditList(tx, meta, 'allergy.list', 'allergy', patientId, page.items.length);
    return page;
  });
}

export async function createAllergy(p: Platform, meta: Meta, patientId: string, body: CreateAllergyBody) {
  return p.db.transaction(async (tx) => {
    const grant = await recordGrant(tx, p, meta, patientId);
    const as = grant.subject.role === 'PATIENT' ? 'patient' : 'doctor';
    if (as === 'patient' && body.verification === 'confirmed')
      throw forbidden('A self-reported allergy stays unconfirmed until a doctor confirms it');
    const substance = codedValue(body.substance, '/substance', true);
    await repo.lockAllergySet(tx, patientId);
    const verification = as === 'patient' ? 'unconfirmed' : (body.verification ?? 'confirmed');
    const [row] = await tx
      .insert(repo.allergies)
      .values({
        patientId,
        substanceSystem: substance.system ?? null,
        substanceCode: substance.code ?? null,
        substanceDisplay: substance.display,
        category: body.category,
        criticality: body.criticality,
        reaction: body.reaction ?? null,
        status: body.status ?? 'active',
        verification,
        recordedBy: meta.actor.userId,
        updatedBy: meta.actor.userId,
        confirmedBy: verification === 'confirmed' ? meta.actor.userId : null,
      })
      .returning();
    await audit(tx, meta, { action: 'allergy.create', resourceType: 'allergy', resourceId: row.id, patientId });
    return toAllergy(row);
  });
}

/** Shared rules of a PATCH: only a treating doctor; entered-in-error is final and records who and when. */
function enteredInError(status: string | undefined, meta: Meta) {
  return status === 'entered-in-error' ? { enteredInErrorBy: meta.actor.userId, enteredInErrorAt: NOW_MS } : {};
}

export async function patchAllergy(p: Platform, meta: Meta, patientId: string, id: string, body: PatchAllergyBody) {
  return p.db.transaction(async (tx) => {
    const grant = await recordGrant(tx, p, meta, patientId);
    clinician(grant);
    await repo.lockAllergySet(tx, patientId);
    const old = await repo.findEntry(tx, repo.allergies, grant, id);
    if (!old) throw notFound('allergy');
    if (old.status === 'entered-in-error') throw invalidTransition('An entry marked entered-in-error cannot change');
    const row = await repo.updateEntry(tx, repo.allergies, grant, id, {
      ...(body.category !== undefined ? { category: body.category } : {}),
      ...(body.criticality !== undefined ? { criticality: body.criticality } : {}),
      ...(body.reaction !== undefined ? { reaction: body.reaction } : {}),
      ...(body.status !== undefined ? { status: body.status } : {}),
      ...(body.verification !== undefined ? { verification: body.verification } : {}),
      ...(body.verification === 'confirmed' && old.verification !== 'confirmed' ? { confirmedBy: meta.actor.userId } : {}),
      ...enteredInError(body.status, meta),
      updatedBy: meta.actor.userId,
      updatedAt: NOW_MS,
    });
    await audit(tx, meta, { action: 'allergy.update', resourceType: 'allergy', resourceId: id, patientId });
    return toAllergy(row);
  });
}

// ---------- medications ----------

export async function listMedications(p: Platform, meta: Meta, patientId: string, q: ListQuery) {
  const limit = q.limit ?? DEFAULT_LIMIT;
  return p.db.transaction(async (tx) => {
    const grant = await recordGrant(tx, p, meta, patientId);
    const rows = await repo.listEntries(tx, repo.medications, grant, decodeAfter(q.cursor), limit);
    const page = toPage(rows, limit, (r) => [r.recordedAt.toISOString(), r.id], toMedication);
    await auditList(tx, meta, 'medication.list', 'medication', patientId, page.items.length);
    return page;
  });
}

export async function createMedication(p: Platform, meta: Meta, patientId: string, body: CreateMedicationBody) {
  return p.db.transaction(async (tx) => {
    const grant = await recordGrant(tx, p, meta, patientId);
    const as = grant.subject.role === 'PATIENT' ? 'patient' : 'doctor';
    if (as === 'patient' && body.verification === 'confirmed')
      throw forbidden('A self-reported medication stays unconfirmed until a doctor confirms it');
    const medication = codedValue(body.medication, '/medication', true);
    const verification = as === 'patient' ? 'unconfirmed' : (body.verification ?? 'confirmed');
    const [row] = await tx
      .insert(repo.medications)
      .values({
        patientId,
        medicationSystem: medication.system ?? null,
        medicationCode: medication.code ?? null,
        medicationDisplay: medication.display,
        dosage: body.dosage ?? null,
        status: body.status ?? 'active',
        verification,
        since: body.since ?? null,
        recordedBy: meta.actor.userId,
        updatedBy: meta.actor.userId,
        confirmedBy: verification === 'confirmed' ? meta.actor.userId : null,
      })
      .returning();
    await audit(tx, meta, { action: 'medication.create', resourceType: 'medication', resourceId: row.id, patientId });
    return toMedication(row);
  });
}

export async function patchMedication(p: Platform, meta: Meta, patientId: string, id: string, body: PatchMedicationBody) {
  return p.db.transaction(async (tx) => {
    const grant = await recordGrant(tx, p, meta, patientId);
    clinician(grant);
    const old = await repo.findEntry(tx, repo.medications, grant, id);
    if (!old) throw notFound('medication');
    if (old.status === 'entered-in-error') throw invalidTransition('An entry marked entered-in-error cannot change');
    const row = await repo.updateEntry(tx, repo.medications, grant, id, {
      ...(body.dosage !== undefined ? { dosage: body.dosage } : {}),
      ...(body.status !== undefined ? { status: body.status } : {}),
      ...(body.verification !== undefined ? { verification: body.verification } : {}),
      ...(body.since !== undefined ? { since: body.since } : {}),
      ...(body.verification === 'confirmed' && old.verification !== 'confirmed' ? { confirmedBy: meta.actor.userId } : {}),
      ...enteredInError(body.status, meta),
      updatedBy: meta.actor.userId,
      updatedAt: NOW_MS,
    });
    await audit(tx, meta, { action: 'medication.update', resourceType: 'medication', resourceId: id, patientId });
    return toMedication(row);
  });
}

// ---------- problems ----------

export async function listProblems(p: Platform, meta: Meta, patientId: string, q: ListQuery) {
  const limit = q.limit ?? DEFAULT_LIMIT;
  return p.db.transaction(async (tx) => {
    const grant = await recordGrant(tx, p, meta, patientId);
    const rows = await repo.listEntries(tx, repo.problems, grant, decodeAfter(q.cursor), limit);
    const page = toPage(rows, limit, (r) => [r.recordedAt.toISOString(), r.id], toProblem);
    await auditList(tx, meta, 'problem.list', 'problem', patientId, page.items.length);
    return page;
  });
}

export async function createProblem(p: Platform, meta: Meta, patientId: string, body: CreateProblemBody) {
  return p.db.transaction(async (tx) => {
    clinician(await recordGrant(tx, p, meta, patientId));
    // The server ships no condition terminology: a condition is free text (a code answers 400).
    const condition = codedValue(body.condition, '/condition', false);
    const [row] = await tx
      .insert(repo.problems)
      .values({
        patientId,
        conditionDisplay: condition.display,
        clinicalStatus: body.clinicalStatus ?? 'active',
        onset: body.onset ?? null,
        note: body.note ?? null,
        recordedBy: meta.actor.userId,
        updatedBy: meta.actor.userId,
      })
      .returning();
    await audit(tx, meta, { action: 'problem.create', resourceType: 'problem', resourceId: row.id, patientId });
    return toProblem(row);
  });
}

export async function patchProblem(p: Platform, meta: Meta, patientId: string, id: string, body: PatchProblemBody) {
  return p.db.transaction(async (tx) => {
    const grant = await recordGrant(tx, p, meta, patientId);
    clinician(grant);
    const old = await repo.findEntry(tx, repo.problems, grant, id);
    if (!old) throw notFound('problem');
    if (old.clinicalStatus === 'entered-in-error') throw invalidTransition('An entry marked entered-in-error cannot change');
    const row = await repo.updateEntry(tx, repo.problems, grant, id, {
      ...(body.clinicalStatus !== undefined ? { clinicalStatus: body.clinicalStatus } : {}),
      ...(body.onset !== undefined ? { onset: body.onset } : {}),
      ...(body.note !== undefined ? { note: body.note } : {}),
      ...enteredInError(body.clinicalStatus, meta),
      updatedBy: meta.actor.userId,
      updatedAt: NOW_MS,
    });
    await audit(tx, meta, { action: 'problem.update', resourceType: 'problem', resourceId: id, patientId });
    return toProblem(row);
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
