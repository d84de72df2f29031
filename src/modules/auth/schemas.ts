import { Type, type Static } from 'typebox';
import { Closed, DateOnly, Email, Timestamp, Timezone, SingleLine, MultiLine } from '../../platform/schema.ts';
import type { Locale } from '../../platform/i18n.ts';
import type { users } from './tables.ts';

export const Role = Type.Union([Type.Literal('PATIENT'), Type.Literal('DOCTOR'), Type.Literal('ADMIN')]);
export const AccountStatus = Type.Union([Type.Literal('ACTIVE'), Type.Literal('SUSPENDED'), Type.Literal('CLOSED')], {
  description: '`CLOSED`: the holder closed the account (POST /me/close); it is kept, never reopened, and cannot sign in',
});
export const Gender = Type.Union([Type.Literal('female'), Type.Literal('male'), Type.Literal('other'), Type.Literal('unknown')]);

export const Username = Type.String({
  minLength: 3,
  maxLength: 32,
  pattern: '^[A-Za-z0-9_.]{3,32}$',
  description: '3–32 of [a-z0-9_.]; compared and stored case-insensitively (folded to lower case)',
});
export const Password = Type.String({ minLength: 10, maxLength: 128, description: '10–128 characters' });
export const Name = SingleLine(1, 100);
// The locales the server ships (platform/i18n.ts LOCALES; the check below fails to compile if they part).
export const LocaleSchema = Type.Union([Type.Literal('en'), Type.Literal('de'), Type.Literal('es'), Type.Literal('ar')], {
  description: "The language of the account's mails, calendar texts and portal: one of the locales the server ships",
});
type SameLocales = [Static<typeof LocaleSchema>] extends [Locale] ? ([Locale] extends [Static<typeof LocaleSchema>] ? true : false) : false;
const _sameLocales: SameLocales = true;
export const TimeZoneSchema = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9_+\\-/]+$',
  description: "IANA time zone the account's times are shown in, e.g. Europe/Berlin",
});

export const UserSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    username: Type.String(),
    email: Type.String(),
    firstname: Type.String(),
    lastname: Type.String(),
    role: Role,
    isEmailVerified: Type.Boolean(),
    accountStatus: AccountStatus,
    closedAt: Type.Optional(Timestamp('When the holder closed the account (only on a closed account)')),
    retainUntil: Type.Optional(Timestamp("Until when a closed account's record is kept (the medical record's retention)")),
    locale: LocaleSchema,
    timeZone: TimeZoneSchema,
    createdAt: Timestamp(),
    updatedAt: Timestamp(),
  },
  { $id: 'User' },
);
export type User = Static<typeof UserSchema>;

export function toUser(u: Omit<typeof users.$inferSelect, 'passwordHash'>): User {
  return {
    id: u.id,
    username: u.username,
    email: u.email,
    firstname: u.firstname,
    lastname: u.lastname,
    role: u.role,
    isEmailVerified: u.emailVerifiedAt !== null,
    accountStatus: u.accountStatus,
    ...(u.closedAt ? { closedAt: u.closedAt.toISOString() } : {}),
    ...(u.retainUntil ? { retainUntil: u.retainUntil.toISOString() } : {}),
    locale: u.locale,
    timeZone: u.timeZone,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  };
}

const identity = {
  username: Username,
  email: Email(),
  password: Password,
  firstname: Name,
  lastname: Name,
  locale: Type.Optional({ ...LocaleSchema, description: 'Defaults to the best match of Accept-Language, else `en`' }),
  timeZone: Type.Optional({
    ...TimeZoneSchema,
    description: "IANA time zone; defaults to a doctor's working `timezone`, else UTC",
  }),
};

export const RegisterPatientBody = Closed({
  ...identity,
  dateOfBirth: DateOnly('Date of birth, in the past'),
  gender: Gender,
  medicalHistory: Type.Optional(MultiLine(0, 20000)),
});
export type RegisterPatientBody = Static<typeof RegisterPatientBody>;

export const RegisterDoctorBody = Closed({
  ...identity,
  specialization: SingleLine(1, 100),
  licenseNumber: SingleLine(1, 64),
  bio: Type.Optional(MultiLine(0, 5000)),
  timezone: Timezone(),
});
export type RegisterDoctorBody = Static<typeof RegisterDoctorBody>;

export const RegisteredPatient = Type.Object({ user: Type.Ref('User'), patient: Type.Ref('Patient') });
export const RegisteredDoctor = Type.Object({ user: Type.Ref('User'), doctor: Type.Ref('DoctorPrivate') });

export const TokenBody = Closed({ token: SingleLine(1, 512) });
export const EmailBody = Closed({ email: Email() });
// Browser mode: the refresh token travels in an HttpOnly cookie instead of the JSON body (contract: Auth).
const CookieSession = Type.Literal('cookie', {
  description:
    'Browser mode: the refresh token is set as an HttpOnly, SameSite=Strict cookie scoped to /api/v1/auth ' +
    '(Secure over HTTPS) and left out of the JSON; a readable `tc_csrf` cookie carries the value that cookie-based ' +
    'refresh and logout must echo in the `X-CSRF-Token` header',
});
export const LoginBody = Closed({
  login: SingleLine(1, 254, 'Username or email, case-insensitive'),
  password: Type.String({ minLength: 1, maxLength: 128 }),
  session: Type.Optional(CookieSession),
});
const RefreshTokenField = SingleLine(1, 512);
export const RefreshBody = Type.Union([
  Closed({ refreshToken: RefreshTokenField }, 'JSON mode'),
  Closed({ session: CookieSession }, 'Browser mode: the refresh token cookie, and the X-CSRF-Token header'),
]);
export const ResetPasswordBody = Closed({ token: SingleLine(1, 512), password: Password });
export const ChangePasswordBody = Closed({ currentPassword: Type.String({ minLength: 1, maxLength: 128 }), newPassword: Password });

const RefreshTokenOut = Type.String({ description: 'Absent in browser mode (`session: "cookie"`): the token is in the cookie' });
export const TokenPair = Type.Object({
  accessToken: Type.String(),
  refreshToken: Type.Optional(RefreshTokenOut),
  expiresIn: Type.Integer({ description: 'Access token lifetime in seconds' }),
});
export const LoginResponse = Type.Object({
  accessToken: Type.String(),
  refreshToken: Type.Optional(RefreshTokenOut),
  expiresIn: Type.Integer({ description: 'Access token lifetime in seconds' }),
  user: Type.Ref('User'),
});
export const AccountPatchBody = Type.Object(
  {
    locale: Type.Optional(LocaleSchema),
    timeZone: Type.Optional(TimeZoneSchema),
    firstname: Type.Optional(Name),
    lastname: Type.Optional(Name),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type AccountPatchBody = Static<typeof AccountPatchBody>;
export const UserEnvelope = Type.Object({ user: Type.Ref('User') });
export const MeResponse = Type.Object({
  user: Type.Ref('User'),
  patient: Type.Optional(Type.Ref('Patient')),
  doctor: Type.Optional(Type.Ref('DoctorPrivate')),
});
