// Messages between a doctor and a patient: conversations, history, read state and the message rate limit.
// Owns (writes and locks; TABLE_OWNERS in eslint.config.js): messages, conversations, message_unread (the
// unread counters, kept by triggers on messages), message_digests.
// This file is its public entry: what other modules may use of it (lint: import-x/no-restricted-paths).
export { MessageSchema, toMessage } from './schemas.ts';
export { history, listConversations, messages } from './repo.ts';
export type { MessageRow } from './repo.ts';
