// The public entry of the accounts module: what other modules may use of it (lint: import-x/no-restricted-paths).
// Accounts: the caller's account with their role's profile (GET /me, the data export's profile part).
export { profileUnaudited } from './service.ts';
