import { Type, type Static } from 'typebox';
import type { doctors, users } from '../../platform/db/tables.ts';
import { toUser } from '../auth/schemas.ts';

export const VerificationStatus = Type.Union([Type.Literal('PENDING'), Type.Literal('VERIFIED'), Type.Literal('REJECTED')]);

/** What anyone may see of a doctor: no email, no license number. */
export const DoctorPublicSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'Equals the doctor\'s user id' }),
    firstname: Type.String(),
    lastname: Type.String(),
    specialization: Type.String(),
    bio: Type.String(),
    timezone: Type.String(),
    slotMinutes: Type.Integer(),
  },
  { $id: 'DoctorPublic' },
);
export type DoctorPublic = Static<typeof DoctorPublicSchema>;

/** The doctor's own (and an admin's) view. */
export const DoctorPrivateSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    user: Type.Ref('User'),
    firstname: Type.String(),
    lastname: Type.String(),
    specialization: Type.String(),
    bio: Type.String(),
    timezone: Type.String(),
    slotMinutes: Type.Integer(),
    licenseNumber: Type.String(),
    verificationStatus: VerificationStatus,
    verificationNote: Type.Union([Type.String(), Type.Null()]),
    autoConfirm: Type.Boolean(),
    minNoticeMinutes: Type.Integer(),
    maxAdvanceDays: Type.Integer(),
  },
  { $id: 'DoctorPrivate' },
);
export type DoctorPrivate = Static<typeof DoctorPrivateSchema>;

export function toDoctorPublic(u: typeof users.$inferSelect, d: typeof doctors.$inferSelect): DoctorPublic {
  return {
    id: d.id,
    firstname: u.firstname,
    lastname: u.lastname,
    specialization: d.specialization,
    bio: d.bio,
    timezone: d.timezone,
    slotMinutes: d.slotMinutes,
  };
}

export function toDoctorPrivate(u: typeof users.$inferSelect, d: typeof doctors.$inferSelect): DoctorPrivate {
  return {
    ...toDoctorPublic(u, d),
    user: toUser(u),
    licenseNumber: d.licenseNumber,
    verificationStatus: d.verificationStatus,
    verificationNote: d.verificationNote,
    autoConfirm: d.autoConfirm,
    minNoticeMinutes: d.minNoticeMinutes,
    maxAdvanceDays: d.maxAdvanceDays,
  };
}
