// The clinical access point: one policy of (caller, patient, purpose), evaluated where patient data is
// read. Every repository function over patient data (profiles, appointments, prescriptions, messages,
// visits; the FHIR API and the export through them) takes a ClinicalGrant and puts the grant's own SQL
// condition in its WHERE clause. A grant can only be made by clinicalAccess() below, which is where a
// doctor whose credentials are not VERIFIED is refused (403 DOCTOR_NOT_VERIFIED) and where the care
// relationship is applied. It sits in the appointments module because the care relationship is a
// condition on appointments rows (docs/architecture.md, "The clinical access point").
import { and, eq, inArray, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { AppError } from '../../platform/errors.ts';
import { now } from '../../platform/clock.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Actor } from '../auth/index.ts';
import { appointments, careAppointment } from './repo.ts';

/**
 * What the caller means to read or change:
 * - `profile`: the patient's profile with medical history (the patient; a verified doctor in a care relationship);
 * - `records`: appointments and prescriptions (the patient; the verified doctor they are with; admins, who see
 *   this metadata but never medical history or message bodies);
 * - `messages`: the conversation between a doctor and a patient (its two parties only);
 * - `clinical`: the clinical record (allergies, medications, problems, visit notes): as `profile`, the patient
 *   and a verified doctor in a care relationship; admins see none of it. Who of them may change what (a
 *   patient self-reports, a doctor writes) is the clinical module's rule on top of this grant.
 */
export type Purpose = 'profile' | 'records' | 'messages' | 'clinical';

/** Who asks: an authenticated actor, or the owner of a capability (a calendar feed's doctor). */
export type Subject = Pick<Actor, 'userId' | 'role' | 'doctorStatus'>;

/** Only this module holds the key, so only clinicalAccess() can make a grant. */
const MINT = Symbol('clinical-grant');

/** A column or SQL expression naming a row's patient or doctor, in whatever query the repo builds. */
type Col = SQLWrapper;

/**
 * Permission to read or change one patient's data (or, with no patient named, the caller's whole scope)
 * for one purpose. Nominal (a private field), so no other value type-checks as one; the condition it
 * applies is computed here, never by the repo that receives it.
 */
export class ClinicalGrant {
  readonly #minted = true;
  readonly subject: Subject;
  readonly purpose: Purpose;
  /** The patient the caller asked about; null for the caller's whole scope (their lists). */
  readonly patientId: string | null;
  readonly #careDays: number;
  readonly #now: Date;

  constructor(key: typeof MINT, subject: Subject, purpose: Purpose, patientId: string | null, careDays: number, at: Date) {
    if (key !== MINT) throw new Error('a ClinicalGrant is made only by clinicalAccess()');
    this.subject = subject;
    this.purpose = purpose;
    this.patientId = patientId;
    this.#careDays = careDays;
    this.#now = at;
  }

  /** Whether this value came from clinicalAccess() (a check for code that receives one untyped). */
  static isGrant(v: unknown): v is ClinicalGrant {
    return v instanceof ClinicalGrant && v.#minted;
  }

  get userId(): string {
    return this.subject.userId;
  }

  /**
   * The condition a row must meet to be returned or changed under this grant, given the expressions of its
   * patient and (where the row has one) its doctor. FALSE where the policy grants nothing, so a query
   * built on it returns no rows rather than someone else's.
   */
  where(cols: { patientId: Col; doctorId?: Col }): SQL {
    const s = this.subject;
    const named = this.patientId === null ? undefined : eq(cols.patientId, this.patientId);
    const none = sql`false`;
    switch (s.role) {
      case 'PATIENT':
        return and(eq(cols.patientId, s.userId), named)!;
      case 'DOCTOR': {
        // clinicalAccess() made no grant for an unverified doctor; this is the second lock on that door.
        if (s.doctorStatus !== 'VERIFIED') return none;
        if (this.purpose === 'profile' || this.purpose === 'clinical') {
          const cared = sql`(SELECT ${appointments.patientId} FROM ${appointments} WHERE ${appointments.doctorId} = ${s.userId} AND ${careAppointment(this.#careDays, this.#now)})`;
          return and(inArray(cols.patientId, cared), named)!;
        }
        if (!cols.doctorId) return none;
        return and(eq(cols.doctorId, s.userId), named)!;
      }
      case 'ADMIN':
        return this.purpose === 'records' ? (named ?? sql`true`) : none;
      default:
        return none;
    }
  }
}

/**
 * The one access decision: may `subject` read or change `patientId`'s data (null: whatever their scope
 * holds) for `purpose`? A doctor whose credentials are not VERIFIED (pending, or withdrawn later) gets
 * 403 DOCTOR_NOT_VERIFIED on every purpose, whichever path asks (REST, FHIR, export, WebSocket). What
 * else the policy allows is the grant's SQL condition, applied by the query itself.
 */
export function clinicalAccess(p: Platform, subject: Subject, purpose: Purpose, patientId: string | null = null): ClinicalGrant {
  if (subject.role === 'DOCTOR' && subject.doctorStatus !== 'VERIFIED') throw new AppError('DOCTOR_NOT_VERIFIED');
  return new ClinicalGrant(MINT, subject, purpose, patientId, p.config.careRelationshipDays, now(p));
}

/**
 * Who may be sent a real-time frame that discloses a doctor–patient pair's data: the patient, and the
 * doctor only while their credentials are verified (a doctor whose verification was withdrawn keeps an
 * open socket, but frames about patients stop reaching it).
 */
export function clinicalAudience(pair: { patientId: string; doctorId: string }, doctorStatus: string | null | undefined): string[] {
  return doctorStatus === 'VERIFIED' ? [pair.patientId, pair.doctorId] : [pair.patientId];
}
