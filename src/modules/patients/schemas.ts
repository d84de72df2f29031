import { Type, type Static } from 'typebox';
import { ageOn, DateOnly, IdParams, MultiLine } from '../../platform/schema.ts';
import type { patients } from './tables.ts';
import type { users } from '../auth/index.ts';
import { Gender, toUser } from '../auth/index.ts';

export const PatientSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: "Equals the patient's user id" }),
    user: Type.Ref('User'),
    dateOfBirth: Type.String({ format: 'date' }),
    age: Type.Integer({ description: 'Whole years, computed from dateOfBirth' }),
    gender: Type.String(),
    medicalHistory: Type.String(),
  },
  { $id: 'Patient' },
);
export type Patient = Static<typeof PatientSchema>;

export function toPatient(u: Omit<typeof users.$inferSelect, 'passwordHash'>, p: typeof patients.$inferSelect): Patient {
  return {
    id: p.id,
    user: toUser(u),
    dateOfBirth: p.dateOfBirth,
    age: ageOn(p.dateOfBirth),
    gender: p.gender,
    medicalHistory: p.medicalHistory,
  };
}

export const PatientIdParams = IdParams('patientId');

export const PatientPatchBody = Type.Object(
  {
    gender: Type.Optional(Gender),
    medicalHistory: Type.Optional(MultiLine(0, 20000)),
    dateOfBirth: Type.Optional(DateOnly('Date of birth, in the past and not before 1900')),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type PatientPatchBody = Static<typeof PatientPatchBody>;

export const CarePatientSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  firstname: Type.String(),
  lastname: Type.String(),
  dateOfBirth: Type.String({ format: 'date' }),
  age: Type.Integer(),
  gender: Type.String(),
  lateCancellations: Type.Integer({
    description:
      'Appointments with this doctor the patient cancelled late (less than LATE_CANCELLATION_HOURS, default 24, before the start)',
  }),
  noShows: Type.Integer({ description: 'Appointments with this doctor marked NO_SHOW' }),
});
