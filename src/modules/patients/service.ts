import { notFound } from '../../platform/errors.ts';
import { ageOn, checkDateOfBirth } from '../../platform/schema.ts';
import { audit, auditValues } from '../../platform/audit.ts';
import type { Platform } from '../../platform/platform.ts';
import { registerUser, type AccountRow, type Actor, type RegisterPatientBody, type RequestMeta } from '../auth/index.ts';
import type { Executor } from '../../platform/db/index.ts';
import { agendaCounts, clinicalAccess, type ClinicalGrant } from '../appointments/index.ts';
import { cursorCodec, toPage, DEFAULT_LIMIT } from '../../platform/pagination.ts';
import * as repo from './repo.ts';
import { toPatient, type Patient, type PatientPatchBody } from './schemas.ts';

type Authed = RequestMeta & { actor: Actor };

export async function getMe(p: Platform, meta: Authed) {
  return getOne(p, meta, meta.actor.userId);
}

/**
 * The profile a grant covers, read in `ex` without an audit event: only for a caller that records the
 * disclosure itself in the same transaction (the data export's export.read).
 */
export async function ownProfileUnaudited(ex: Executor, grant: ClinicalGrant): Promise<Patient | null> {
  const row = await repo.findPatientWithUser(ex, grant);
  return row ? toPatient(row.user, row.patient) : null;
}

/** The calling patient's profile (null without one), audited as patient.read like GET /patients/me. */
export async function ownProfile(p: Platform, meta: Authed): Promise<Patient | null> {
  const id = meta.actor.userId;
  const grant = clinicalAccess(p, meta.actor, 'profile', id);
  return p.db.transaction(async (tx) => {
    const profile = await ownProfileUnaudited(tx, grant);
    if (profile) await audit(tx, meta, { action: 'patient.read', resourceType: 'patient', resourceId: id, patientId: id });
    return profile;
  });
}

/**
 * ownProfile for GET /me, whose session check already read the account: one statement reads the
 * patient row and writes its patient.read event.
 */
export async function ownProfileOf(p: Platform, meta: Authed, account: AccountRow): Promise<Patient | null> {
  const id = meta.actor.userId;
  const values = auditValues(meta, { action: 'patient.read', resourceType: 'patient', resourceId: id, patientId: id });
  const row = await repo.findPatientAudited(p.db, clinicalAccess(p, meta.actor, 'profile', id), values);
  return row ? toPatient(account, row) : null;
}

/**
 * The patient themself, or a verified doctor in a care relationship with them (the grant's condition, in
 * the query). Everyone else, admins included (they never see medical history), gets 404 exactly as for an
 * id that does not exist; a doctor whose credentials are not verified, 403 DOCTOR_NOT_VERIFIED.
 */
export async function getOne(p: Platform, meta: Authed, patientId: string) {
  const grant = clinicalAccess(p, meta.actor, 'profile', patientId);
  return p.db.transaction(async (tx) => {
    const row = await repo.findPatientWithUser(tx, grant);
    if (!row) throw notFound('patient');
    await audit(tx, meta, { action: 'patient.read', resourceType: 'patient', resourceId: patientId, patientId });
    return toPatient(row.user, row.patient);
  });
}

export async function patchMe(p: Platform, meta: Authed, body: PatientPatchBody) {
  if (body.dateOfBirth !== undefined) checkDateOfBirth(body.dateOfBirth);
  const id = meta.actor.userId;
  const grant = clinicalAccess(p, meta.actor, 'profile', id);
  return p.db.transaction(async (tx) => {
    await repo.updatePatient(tx, grant, body);
    const row = await repo.findPatientWithUser(tx, grant);
    if (!row) throw notFound('patient');
    await audit(tx, meta, { action: 'patient.update', resourceType: 'patient', resourceId: id, patientId: id });
    return toPatient(row.user, row.patient);
  });
}

/** (last name, first name, id): the order of a doctor's patient list, as the directory's. */
const CARE_LIST_CURSOR = cursorCodec('text', 'text', 'uuid');

/** Patients in a care relationship; each one listed is an access to their data, so each is audited. */
export async function myPatients(p: Platform, meta: Authed, q: { limit?: number; cursor?: string }) {
  const limit = q.limit ?? DEFAULT_LIMIT;
  const after = CARE_LIST_CURSOR.decode(q.cursor);
  const grant = clinicalAccess(p, meta.actor, 'profile');
  return p.db.transaction(async (tx) => {
    const rows = await repo.carePatients(tx, grant, after, limit);
    const page = toPage(
      rows,
      limit,
      (r) => [r.user.lastname, r.user.firstname, r.patient.id],
      (r) => ({
        id: r.patient.id,
        firstname: r.user.firstname,
        lastname: r.user.lastname,
        dateOfBirth: r.patient.dateOfBirth,
        age: ageOn(r.patient.dateOfBirth),
        gender: r.patient.gender,
        lateCancellations: 0,
        noShows: 0,
      }),
    );
    const counts = await agendaCounts(
      tx,
      meta.actor.userId,
      page.items.map((i) => i.id),
    );
    for (const item of page.items) Object.assign(item, counts.get(item.id));
    for (const item of page.items) {
      await audit(tx, meta, { action: 'patient.list', resourceType: 'patient', resourceId: item.id, patientId: item.id });
    }
    return page;
  });
}

/** POST /auth/register/patient: the account (auth) and the patient's profile, in one transaction. */
export async function register(p: Platform, meta: RequestMeta, body: RegisterPatientBody) {
  checkDateOfBirth(body.dateOfBirth);
  const { user, profile } = await registerUser(p, meta, body, 'PATIENT', async (tx, u) =>
    toPatient(
      u,
      await repo.insertPatient(tx, {
        id: u.id,
        dateOfBirth: body.dateOfBirth,
        gender: body.gender,
        medicalHistory: body.medicalHistory ?? '',
      }),
    ),
  );
  return { user, patient: profile };
}
