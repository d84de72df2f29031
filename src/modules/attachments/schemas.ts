import { Type, type Static } from 'typebox';
import { Timestamp, Uuid } from '../../platform/schema.ts';
import type { AttachmentRow } from './tables.ts';

const ContentType = Type.Union(
  [Type.Literal('image/jpeg'), Type.Literal('image/png'), Type.Literal('image/webp'), Type.Literal('application/pdf')],
  { description: 'What the bytes are (judged from them, never from the name or the declared type)' },
);

const summaryProps = {
  id: Uuid(),
  fileName: Type.String({ description: "The uploader's file name, cleaned, ending in the extension of its type" }),
  contentType: ContentType,
  size: Type.Integer({ minimum: 1, description: 'Bytes stored (images: after re-encoding)' }),
};

/** What a message lists of each attachment. */
export const AttachmentSummarySchema = Type.Object(summaryProps, { description: 'An attachment as a message lists it' });
export type AttachmentSummary = Static<typeof AttachmentSummarySchema>;

export const AttachmentSchema = Type.Object({ ...summaryProps, createdAt: Timestamp() }, { $id: 'Attachment' });
export type Attachment = Static<typeof AttachmentSchema>;

export const AttachmentIdParams = Type.Object({ id: Uuid() }, { additionalProperties: false });

export function toAttachment(r: AttachmentRow): Attachment {
  return { id: r.id, fileName: r.fileName, contentType: r.contentType, size: Number(r.size), createdAt: r.createdAt.toISOString() };
}
