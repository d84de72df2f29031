// The public entry of the notifications module: what other modules may use of it (lint: import-x/no-restricted-paths).
// Appointment notifications, reminders and calendar feeds.
export * as service from './service.ts';
