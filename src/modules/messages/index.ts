// The public entry of the messages module: what other modules may use of it (lint: import-x/no-restricted-paths).
// Messages between a doctor and a patient: table, history and conversations.
export { MessageSchema, toMessage } from './schemas.ts';
export { history, listConversations, messages } from './repo.ts';
export type { MessageRow } from './repo.ts';
