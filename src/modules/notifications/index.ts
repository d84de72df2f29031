// What the parties are told about appointments: booking, change and cancellation mails with calendar
// invitations, reminders before the start, and each user's private calendar feed.
// Owns (writes and locks; TABLE_OWNERS in eslint.config.js): reminder_jobs, calendar_feeds.
// This file is its public entry: what other modules may use of it (lint: import-x/no-restricted-paths).
export * as service from './service.ts';
