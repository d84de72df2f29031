// Photos and documents: the messages module ties uploads to a message and lists their summaries.
// Owns (writes and locks; TABLE_OWNERS in eslint.config.js): attachments, attachment_chunks.
// This file is its public entry: what other modules may use of it (lint: import-x/no-restricted-paths).
export { AttachmentSchema, AttachmentSummarySchema } from './schemas.ts';
export type { Attachment, AttachmentSummary } from './schemas.ts';
export { attachToMessage, summariesByMessage, readDocument, searchDocuments, documentPage, download, downloadHeaders } from './service.ts';
export type { RecordDocument, Download } from './service.ts';
export { attachments } from './tables.ts';
