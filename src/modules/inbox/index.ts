// The public entry of the inbox module: what other modules may use of it (lint: import-x/no-restricted-paths).
// The in-portal notification list: entries added in the transaction of the change that causes them.
export { notify, kick, conversationRead, type NewNotification } from './service.ts';
export { NotificationSchema, type Notification, type NotificationKind } from './schemas.ts';
export { userNotifications } from './tables.ts';
