import { Type, type Static } from 'typebox';
import { Closed, Nullable, Timestamp, Uuid, iso, isoOrNull, SingleLine, MultiLine } from '../../platform/schema.ts';
import { pageQueryProperties } from '../../platform/pagination.ts';
import type { prescriptions } from './repo.ts';
import { CodedInput } from '../clinical/index.ts';

export const PrescriptionStatus = Type.Union([Type.Literal('ACTIVE'), Type.Literal('REVOKED')]);

export const PrescriptionItem = Closed({
  medication: SingleLine(1, 200, 'Medication name, e.g. "Amoxicillin"'),
  strength: Type.Optional(
    SingleLine(1, 100, 'The strength of the product, e.g. "500 mg" or "5 mg/ml" (printed beside the medication, apart from the dose)'),
  ),
  dosage: SingleLine(
    1,
    100,
    'The dose per administration, e.g. "1 tablet" or "10 ml". Prescriptions written before `strength` existed carry strength and dose together here (e.g. "500 mg")',
  ),
  route: Type.Optional(SingleLine(1, 50, 'Route of administration, e.g. "oral"')),
  frequency: SingleLine(1, 100, 'e.g. "3 times daily"'),
  durationDays: Type.Integer({ minimum: 1, maximum: 365, description: 'Days of treatment, 1–365' }),
  quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, description: 'Units to dispense, 1–10,000' })),
  instructions: Type.Optional(SingleLine(1, 1000, 'e.g. "take with food"')),
  medicationCode: Type.Optional(CodedInput),
});
export type PrescriptionItem = Static<typeof PrescriptionItem>;

export const CreatePrescriptionBody = Closed({
  appointmentId: Uuid('A CONFIRMED or COMPLETED appointment of the calling doctor'),
  items: Type.Array(PrescriptionItem, { minItems: 1, maxItems: 20 }),
  notes: Type.Optional(MultiLine(0, 2000)),
  overrideReason: Type.Optional(
    SingleLine(1, 500, 'Why the prescription is issued despite an allergy conflict (audited, printed on the prescription)'),
  ),
});
export type CreatePrescriptionBody = Static<typeof CreatePrescriptionBody>;

export const RevokeBody = Closed({ reason: SingleLine(1, 1000, 'Why the prescription is revoked (shown to the patient and on the PDF)') });

export const PrescriptionListQuery = Type.Object(
  {
    ...pageQueryProperties,
    patientId: Type.Optional(Uuid()),
    status: Type.Optional(PrescriptionStatus),
  },
  { additionalProperties: false },
);
export type PrescriptionListQuery = Static<typeof PrescriptionListQuery>;

export const Prescription = Type.Object({
  id: Uuid(),
  doctorId: Uuid(),
  patientId: Uuid(),
  appointmentId: Uuid(),
  items: Type.Array(
    Type.Object({
      medication: Type.String(),
      strength: Type.Optional(Type.String()),
      dosage: Type.String(),
      route: Type.Optional(Type.String()),
      frequency: Type.String(),
      durationDays: Type.Integer(),
      quantity: Type.Optional(Type.Integer()),
      instructions: Type.Optional(Type.String()),
      medicationCode: Type.Optional(
        Type.Object({ system: Type.Optional(Type.String()), code: Type.Optional(Type.String()), display: Type.String() }),
      ),
    }),
  ),
  notes: Nullable(Type.String()),
  allergyOverrideReason: Nullable(Type.String({ description: 'Set when issued over an allergy conflict: the reason the doctor gave' })),
  status: PrescriptionStatus,
  issuedAt: Timestamp(),
  revokedAt: Nullable(Timestamp()),
  revocationReason: Nullable(Type.String()),
  verificationCode: Type.String({
    description: 'What a pharmacist enters at the verification page (printed on the PDF with its address): 16 letters and digits',
  }),
});
export type Prescription = Static<typeof Prescription>;

export const VerifyParams = Type.Object(
  {
    code: Type.String({
      minLength: 16,
      maxLength: 40,
      pattern: '^[0-9A-Za-z -]+$',
      description: 'The code printed on the prescription; case, spaces and dashes do not matter',
    }),
  },
  { additionalProperties: false },
);

/** What a pharmacist is shown: enough to match the paper to the record, nothing of the history or notes. */
export const PrescriptionVerification = Type.Object(
  {
    valid: Type.Boolean({ description: 'True while the prescription is ACTIVE; false once revoked' }),
    status: PrescriptionStatus,
    issuedAt: Timestamp(),
    revokedAt: Nullable(Timestamp()),
    doctorName: Type.String({ description: 'The issuing doctor, e.g. "Dr. Jane Doe"' }),
    patientInitials: Type.String({ description: 'e.g. "A. L."' }),
    patientBirthYear: Type.Integer(),
    items: Type.Array(Type.Object({ medication: Type.String(), strength: Nullable(Type.String()) }), {
      description: 'The medications with their strength (null where the prescription predates separate strengths)',
    }),
  },
  { additionalProperties: false },
);
export type PrescriptionVerification = Static<typeof PrescriptionVerification>;

export function toPrescription(r: typeof prescriptions.$inferSelect): Prescription {
  return {
    id: r.id,
    doctorId: r.doctorId,
    patientId: r.patientId,
    appointmentId: r.appointmentId,
    items: r.items,
    notes: r.notes,
    allergyOverrideReason: r.allergyOverrideReason,
    status: r.status,
    issuedAt: iso(r.issuedAt),
    revokedAt: isoOrNull(r.revokedAt),
    revocationReason: r.revocationReason,
    verificationCode: r.verificationCode,
  };
}
