import { randomBytes } from 'node:crypto';
import { eq, type SQL } from 'drizzle-orm';
import { AppError, forbidden, invalidTransition, notFound } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Actor, RequestMeta } from '../auth/index.ts';
import { clinicalAccess, lockAppointment } from '../appointments/index.ts';
import { cursorCodec, DEFAULT_LIMIT, toPage } from '../../platform/pagination.ts';
import { service as notifications } from '../notifications/index.ts';
import { kick as kickInbox } from '../inbox/index.ts';
import * as repo from './repo.ts';
import { renderPrescriptionPdf } from './pdf.ts';
import { allergyConflictError, allergyConflicts } from '../clinical/index.ts';
import { toPrescription, type CreatePrescriptionBody, type PrescriptionListQuery, type PrescriptionVerification } from './schemas.ts';
import { clinic, logo } from '../clinic/index.ts';
import { portalUrl } from '../../platform/portal-pages.ts';

type Meta = RequestMeta & { actor: Actor };

/** Crockford's base32: no I, L, O or U, so a code read aloud or retyped is not misread. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A verification code: 16 characters of base32, 80 random bits. At the route's rate limit a guesser
 * needs on the order of 10^19 tries per prescription in existence: guessing is hopeless.
 */
export function newVerificationCode(): string {
  const bytes = randomBytes(10);
  let bits = 0n;
  for (const b of bytes) bits = (bits << 8n) | BigInt(b);
  let out = '';
  for (let i = 0; i < 16; i++) out += CROCKFORD[Number((bits >> BigInt(5 * (15 - i))) & 31n)];
  return out;
}

/** A code as typed: case, spaces and dashes ignored; O read as 0 and I, L as 1 (Crockford's reading). */
export function normalizeCode(typed: string): string {
  return typed.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}

/** "ABCD-EFGH-JKMN-PQRS": the code as printed, in groups of four. */
export const printedCode = (code: string) => code.match(/.{1,4}/g)!.join('-');

/** (issued_at, id), newest first; issued_at is stamped at millisecond precision. */
const CURSOR = cursorCodec('instant', 'uuid');
const PRESCRIBABLE = new Set(['CONFIRMED', 'COMPLETED']);
/** Contract: at most 10 prescriptions per appointment (revoked ones count: they were issued). */
export const MAX_PRESCRIPTIONS_PER_APPOINTMENT = 10;

// Who may see a prescription is the clinical access point's `records` rule (appointments/access.ts): its
// patient, the verified doctor who issued it (whatever became of the appointment, since they must still be
// able to revoke it), and admins. The repo applies it in each query.

export async function issue(p: Platform, meta: Meta, body: CreatePrescriptionBody) {
  const issued = await p.db.transaction(async (tx) => {
    // Another doctor's appointment is not visible to the caller: 404, as if it did not exist.
    // The records rule refuses a doctor whose credentials are not verified (403 DOCTOR_NOT_VERIFIED). The
    // appointment is locked through booking, which owns it, so a concurrent cancel cannot slip in between check and insert.
    const grant = clinicalAccess(p, meta.actor, 'records');
    const appt = await lockAppointment(tx, body.appointmentId, grant.userId);
    if (!appt || appt.doctorId !== grant.userId) throw notFound('appointment');
    if (!PRESCRIBABLE.has(appt.status)) {
      throw invalidTransition(`Prescriptions need a CONFIRMED or COMPLETED appointment; this one is ${appt.status}`);
    }
    // The appointment row is locked above, so concurrent issues on it count one after another.
    if ((await repo.countForAppointment(tx, appt.id)) >= MAX_PRESCRIPTIONS_PER_APPOINTMENT) {
      throw new AppError('PRESCRIPTION_LIMIT_REACHED', `An appointment carries at most ${MAX_PRESCRIPTIONS_PER_APPOINTMENT} prescriptions`);
    }
    // Under the patient's allergy-set lock, held to commit: an allergy recorded meanwhile cannot slip in between.
    const conflicts = await allergyConflicts(tx, p, meta.actor, appt.patientId, body.items);
    if (conflicts.length && !body.overrideReason) throw allergyConflictError(conflicts);
    const row = await repo.insertPrescription(tx, {
      doctorId: meta.actor.userId,
      patientId: appt.patientId,
      appointmentId: appt.id,
      items: body.items,
      notes: body.notes ? body.notes : null,
      status: 'ACTIVE',
      allergyOverrideReason: conflicts.length ? body.overrideReason! : null,
      verificationCode: newVerificationCode(),
    });
    await audit(tx, meta, { action: 'prescription.create', resourceType: 'prescription', resourceId: row.id, patientId: row.patientId });
    if (conflicts.length) {
      await audit(tx, meta, {
        action: 'prescription.allergy_override',
        resourceType: 'prescription',
        resourceId: row.id,
        patientId: row.patientId,
      });
    }
    await notifications.prescriptionIssued(p, tx, { id: row.id, appointmentId: appt.id, issuedAt: row.issuedAt });
    return toPrescription(row);
  });
  p.mail.kick();
  kickInbox(p);
  return issued;
}

function decodeAfter(cursor: string | undefined) {
  const v = CURSOR.decode(cursor);
  return v && { issuedAt: v[0], id: v[1] };
}

export async function list(p: Platform, meta: Meta, q: PrescriptionListQuery) {
  const limit = q.limit ?? DEFAULT_LIMIT;
  const after = decodeAfter(q.cursor);
  const grant = clinicalAccess(p, meta.actor, 'records', q.patientId ?? null);
  const filters: SQL[] = q.status ? [eq(repo.prescriptions.status, q.status)] : [];
  return p.db.transaction(async (tx) => {
    const rows = await repo.listPrescriptions(tx, grant, filters, after, limit);
    const page = toPage(rows, limit, (r) => [r.issuedAt.toISOString(), r.id], toPrescription);
    // One event per patient whose prescriptions were shown, so each patient's access log names this read.
    // A list that showed nothing disclosed nothing about anyone: one event, against no patient, whatever
    // `patientId` asked for (anyone could otherwise write into a stranger's access log).
    const shown = [...new Set(page.items.map((i) => i.patientId))];
    if (shown.length === 0) await audit(tx, meta, { action: 'prescription.list', resourceType: 'prescription', patientId: null });
    for (const patientId of shown) {
      await audit(tx, meta, { action: 'prescription.list', resourceType: 'prescription', patientId });
    }
    return page;
  });
}

export async function read(p: Platform, meta: Meta, id: string) {
  const grant = clinicalAccess(p, meta.actor, 'records');
  return p.db.transaction(async (tx) => {
    const row = await repo.findPrescription(tx, grant, id);
    if (!row) throw notFound('prescription');
    await audit(tx, meta, { action: 'prescription.read', resourceType: 'prescription', resourceId: row.id, patientId: row.patientId });
    return toPrescription(row);
  });
}

/** The printable prescription: only its patient and its doctor; an admin sees the record but gets 403. */
export async function pdf(p: Platform, meta: Meta, id: string): Promise<{ id: string; pdf: Buffer }> {
  const grant = clinicalAccess(p, meta.actor, 'records');
  const found = await p.db.transaction(async (tx) => {
    const row = await repo.findPrescription(tx, grant, id);
    if (!row) throw notFound('prescription');
    if (meta.actor.role === 'ADMIN') {
      await audit(tx, meta, {
        action: 'prescription.pdf.read',
        resourceType: 'prescription',
        resourceId: row.id,
        patientId: row.patientId,
        outcome: 'DENIED',
      });
      return null;
    }
    const parties = await repo.pdfParties(tx, row.doctorId, row.patientId);
    const practice = await clinic(tx);
    const practiceLogo = practice.logoUrl ? await logo(tx) : null;
    await audit(tx, meta, { action: 'prescription.pdf.read', resourceType: 'prescription', resourceId: row.id, patientId: row.patientId });
    return { row, parties, practice, practiceLogo };
  });
  // The denial is recorded (committed above) before it is answered.
  if (!found) throw forbidden('Only the patient and the prescribing doctor may download the prescription document');
  const { row, parties, practice, practiceLogo } = found;
  const pdf = await renderPrescriptionPdf(row, parties, {
    clinic: practice,
    logo: practiceLogo?.logo ?? null,
    verification: {
      code: printedCode(row.verificationCode),
      url: portalUrl(p.config.publicUrl, 'verifyPrescription', {}, { code: row.verificationCode }),
    },
  });
  return { id: row.id, pdf };
}

const initial = (name: string) => `${[...name.trim()][0] ?? ''}.`;

/**
 * What a pharmacist holding the paper may learn from its code: whether it is valid, when and by whom it was
 * issued, whose it is (initials, year of birth) and what it prescribes (names, strengths); no history, no
 * notes, no doses. Anyone may ask (the route's rate limit bounds guessing); an unknown code is 404. Each
 * answer is a disclosure about the patient: audited against them, so their access log shows the check.
 */
export async function verify(p: Platform, meta: RequestMeta, typed: string): Promise<PrescriptionVerification> {
  const code = normalizeCode(typed);
  if (!/^[0-9A-Z]{16,32}$/.test(code)) throw notFound('prescription');
  return p.db.transaction(async (tx) => {
    const row = await repo.byVerificationCode(tx, code);
    if (!row) throw notFound('prescription');
    const { doctor, patient } = await repo.pdfParties(tx, row.doctorId, row.patientId);
    await audit(tx, meta, { action: 'prescription.verify', resourceType: 'prescription', resourceId: row.id, patientId: row.patientId });
    return {
      valid: row.status === 'ACTIVE',
      status: row.status,
      issuedAt: row.issuedAt.toISOString(),
      revokedAt: row.revokedAt ? row.revokedAt.toISOString() : null,
      doctorName: `Dr. ${doctor.firstname} ${doctor.lastname}`,
      patientInitials: `${initial(patient.firstname)} ${initial(patient.lastname)}`,
      patientBirthYear: Number(patient.dateOfBirth.slice(0, 4)),
      items: row.items.map((i) => ({ medication: i.medication, strength: i.strength ?? null })),
    };
  });
}

export async function revoke(p: Platform, meta: Meta, id: string, reason: string) {
  const grant = clinicalAccess(p, meta.actor, 'records');
  return p.db.transaction(async (tx) => {
    // Locked, so two concurrent revocations serialise and the second sees REVOKED.
    const row = await repo.findPrescription(tx, grant, id, true);
    if (!row) throw notFound('prescription');
    if (row.status !== 'ACTIVE') throw invalidTransition('The prescription is already revoked');
    const updated = await repo.revokePrescription(tx, id, reason);
    await audit(tx, meta, { action: 'prescription.revoke', resourceType: 'prescription', resourceId: id, patientId: row.patientId });
    return toPrescription(updated);
  });
}
