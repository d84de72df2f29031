import { AppError, forbidden, notFound } from '../../platform/errors.ts';
import { now } from '../../platform/clock.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Actor } from '../auth/index.ts';
import { careRelationshipExists } from '../appointments/index.ts';

/**
 * What the caller wants to do with a patient's clinical record: read it, write it as a clinician, or
 * (a patient) self-report an allergy or a medication.
 */
export type ClinicalPurpose = 'read' | 'write' | 'self-report';

/** How the caller reaches the record: as the patient themself or as a treating doctor. */
export type ClinicalRole = 'patient' | 'doctor';

/**
 * The one access decision of the clinical record (contract: "The clinical record", "Roles and the
 * care relationship"): a verified doctor in a care relationship reads and writes; the patient reads
 * their own and self-reports; admins and everyone else get 404 as for an unknown patient. A patient
 * who tries a clinician's write on their own record gets 403 (they can see it). Every route of this
 * module, the allergy check's callers aside, decides through here.
 */
export async function clinicalAccess(
  ex: Executor,
  p: Platform,
  caller: Actor,
  patientId: string,
  purpose: ClinicalPurpose,
): Promise<ClinicalRole> {
  if (caller.role === 'PATIENT') {
    if (caller.userId !== patientId) throw notFound('patient');
    if (purpose === 'write') throw forbidden('Only a treating doctor may change this part of the record');
    return 'patient';
  }
  if (caller.role === 'DOCTOR') {
    if (caller.doctorStatus !== 'VERIFIED')
      throw new AppError('DOCTOR_NOT_VERIFIED', 'Clinical access needs credentials an admin verified');
    if (!(await careRelationshipExists(ex, caller.userId, patientId, p.config.careRelationshipDays, now(p)))) throw notFound('patient');
    return 'doctor';
  }
  throw notFound('patient');
}
