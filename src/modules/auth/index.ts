// Identity: who the caller is (Actor, the session check), the identity tables and the account schemas.
// Owns (writes and locks; TABLE_OWNERS in eslint.config.js): users, sessions, refresh_tokens, email_tokens,
//  login_failures, auth_mail_requests.
// This file is its public entry: what other modules may use of it (lint: import-x/no-restricted-paths).
export { sessions, users } from './tables.ts';
export { AccountStatus, Gender, Role, toUser } from './schemas.ts';
export type { User } from './schemas.ts';
export { actorOf, metaOf } from './actor.ts';
export type { AccountRow, Actor, RequestMeta } from './actor.ts';
export { accountOf } from './actor.ts';
export { findUserById as findAccount } from './repo.ts';
export type { UserRow } from './repo.ts';
export { registerUser } from './registration.ts';
// Identity owns the identity tables: other modules change or lock an account only through these.
export { constraintErrors, lockAccount, lockActiveAdmins, setAccountStatus, updateAccount } from './accounts.ts';
export {
  AccountPatchBody,
  LocaleSchema,
  MeResponse,
  RegisterDoctorBody,
  RegisterPatientBody,
  RegisteredDoctor,
  RegisteredPatient,
} from './schemas.ts';
// The holder's own changes: a new address (re-verified) and closing the account (issue 25).
export { checkOwnPassword, closeAccountRow, confirmEmailChange, maskEmail, requestEmailChange } from './self-service.ts';
