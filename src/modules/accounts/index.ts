// The caller's account: GET /me with their role's profile, language and zone, address change, closing it.
// Owns no table.
// This file is its public entry: what other modules may use of it (lint: import-x/no-restricted-paths).
export { profileUnaudited } from './service.ts';
