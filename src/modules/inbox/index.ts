// The in-portal notification list: entries added in the transaction of the change that causes them.
// Owns (writes and locks; TABLE_OWNERS in eslint.config.js): user_notifications.
// This file is its public entry: what other modules may use of it (lint: import-x/no-restricted-paths).
export { notify, kick, conversationRead, type NewNotification } from './service.ts';
export { NotificationSchema, type Notification, type NotificationKind } from './schemas.ts';
export { userNotifications } from './tables.ts';
