// The clinic's settings: its name, address, logo, colours and mail footer, read by mails, invitations and the PDF.
// Owns (writes and locks; TABLE_OWNERS in eslint.config.js): clinic_settings.
// This file is its public entry: what other modules may use of it (lint: import-x/no-restricted-paths).
export { clinicSettings } from './repo.ts';
export type { Clinic } from './schemas.ts';
export { clinic, logo } from './service.ts';
