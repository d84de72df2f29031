// Intake answers copied into the clinical record (issue 27): the doctor, reading a submitted intake, makes an
// entry from one answer with one explicit request — never silently. The entry is an ordinary one (same grant,
// rules, terminology check and audit event as POST /patients/{id}/<list>), and it records its source: the
// response (whose id is the appointment's) and the item's linkId. An answer goes into each list once.
import { and, eq } from 'drizzle-orm';
import { AppError } from '../../platform/errors.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Actor, RequestMeta } from '../auth/index.ts';
import type { ClinicalGrant } from '../appointments/index.ts';
import * as repo from './repo.ts';
import { allergyKind, createEntryIn, medicationKind, problemKind, type EntrySourceRef } from './service.ts';
import type { Allergy, CreateAllergyBody, CreateMedicationBody, CreateProblemBody, Medication, Problem } from './schemas.ts';

type Meta = RequestMeta & { actor: Actor };

export type CopyTarget = 'allergy' | 'medication' | 'problem';

const TABLES = { allergy: repo.allergies, medication: repo.medications, problem: repo.problems } as const;

/** One copy of an answer into the record, as the intake shows it beside the answer. */
export interface IntakeCopy {
  linkId: string;
  into: CopyTarget;
  entryId: string;
  copiedBy: string;
  copiedAt: string;
}

type Body =
  | { to: 'allergy'; body: CreateAllergyBody }
  | { to: 'medication'; body: CreateMedicationBody }
  | { to: 'problem'; body: CreateProblemBody };

async function existingCopy(ex: Executor, to: CopyTarget, source: EntrySourceRef): Promise<string | undefined> {
  const t = TABLES[to] as typeof repo.allergies;
  const [row] = await ex
    .select({ id: t.id })
    .from(t)
    .where(and(eq(t.sourceResponseId, source.responseId), eq(t.sourceLinkId, source.linkId)))
    .limit(1);
  return row?.id;
}

/**
 * Records the entry made from one intake answer, in the caller's transaction (the intake module holds the
 * response's row lock, so two copies of the same answer are ordered and the second sees the first). A treating
 * doctor only (a patient 403; no care relationship 404, unverified 403 at the access point). The same answer
 * copied into the same list again: 409 INVALID_TRANSITION naming the entry it made (`entryId`).
 */
export async function recordFromIntake(
  tx: Executor,
  p: Platform,
  meta: Meta,
  patientId: string,
  source: EntrySourceRef,
  copy: Body,
): Promise<Allergy | Medication | Problem> {
  const made = await existingCopy(tx, copy.to, source);
  if (made)
    throw new AppError(
      'INVALID_TRANSITION',
      `The answer to "${source.linkId}" is already copied into the record as ${copy.to} ${made}: change that entry instead`,
      undefined,
      undefined,
      { entryId: made },
    );
  switch (copy.to) {
    case 'allergy':
      return (await createEntryIn(tx, p, meta, allergyKind, patientId, copy.body, source, true)).out;
    case 'medication':
      return (await createEntryIn(tx, p, meta, medicationKind, patientId, copy.body, source, true)).out;
    case 'problem':
      // Problems carry no verification: the body type of createEntryIn's generic asks for the field to be possible.
      return (
        await createEntryIn(tx, p, meta, problemKind, patientId, copy.body as CreateProblemBody & { verification?: never }, source, true)
      ).out;
  }
}

/** The entries copied from one response that the grant lets the caller see, oldest first. */
export async function copiesOfResponse(ex: Executor, grant: ClinicalGrant, responseId: string): Promise<IntakeCopy[]> {
  const out: IntakeCopy[] = [];
  for (const to of ['allergy', 'medication', 'problem'] as const) {
    const t = TABLES[to] as typeof repo.allergies;
    const rows = await ex
      .select({ id: t.id, linkId: t.sourceLinkId, by: t.recordedBy, at: t.recordedAt })
      .from(t)
      .where(and(eq(t.sourceResponseId, responseId), grant.where({ patientId: t.patientId })));
    for (const r of rows) out.push({ linkId: r.linkId!, into: to, entryId: r.id, copiedBy: r.by, copiedAt: r.at.toISOString() });
  }
  return out.sort((a, b) => a.copiedAt.localeCompare(b.copiedAt) || a.entryId.localeCompare(b.entryId));
}
