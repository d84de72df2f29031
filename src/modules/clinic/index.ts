// The public entry of the clinic module: what other modules may use of it (lint: import-x/no-restricted-paths).
// The clinic's settings: its name, address, logo, colours and mail footer, read by mails, invitations and the PDF.
export { clinicSettings } from './repo.ts';
export type { Clinic } from './schemas.ts';
export { clinic, logo } from './service.ts';
