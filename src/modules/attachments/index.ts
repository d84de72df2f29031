// The public entry of the attachments module: what other modules may use of it (lint: import-x/no-restricted-paths).
// Photos and documents: the messages module ties uploads to a message and lists their summaries.
export { AttachmentSchema, AttachmentSummarySchema } from './schemas.ts';
export type { Attachment, AttachmentSummary } from './schemas.ts';
export { attachToMessage, summariesByMessage } from './service.ts';
export { attachments } from './tables.ts';
