import { Type, type Static } from 'typebox';
import { Page } from '../../platform/pagination.ts';
import { Closed, Nullable, Timestamp, Uuid, MultiLine } from '../../platform/schema.ts';
import { AttachmentSummarySchema, type AttachmentSummary } from '../attachments/index.ts';
import type { MessageRow } from './repo.ts';

export const MessageSchema = Type.Object(
  {
    id: Uuid(),
    senderId: Uuid(),
    recipientId: Uuid(),
    body: Type.String({ description: 'The text; empty when the message carries attachments only' }),
    attachments: Type.Array(AttachmentSummarySchema, { maxItems: 5, description: 'Files sent with it (GET /attachments/{id})' }),
    createdAt: Timestamp(),
    readAt: Nullable(Timestamp('When the recipient marked it read; null while unread')),
  },
  { $id: 'Message' },
);
export type Message = Static<typeof MessageSchema>;

export const SendMessageBody = Type.Object(
  {
    body: Type.Optional(MultiLine(1, 5000, 'Message text, 1–5,000 characters')),
    attachmentIds: Type.Optional(
      Type.Array(Uuid(), {
        maxItems: 5,
        uniqueItems: true,
        description: 'Up to 5 of your uploads (POST /attachments) that no message carries yet',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1, description: 'A text, attachments, or both (one of them is required)' },
);
export const MarkReadBody = Closed({
  upTo: Uuid("Id of a message of this conversation: the other party's messages up to and including it are marked read"),
});

export const Participant = Type.Object({
  id: Uuid(),
  firstname: Type.String(),
  lastname: Type.String(),
  role: Type.Union([Type.Literal('DOCTOR'), Type.Literal('PATIENT')]),
});

export const ConversationSchema = Type.Object({
  participant: Participant,
  lastMessage: Type.Ref('Message'),
  unreadCount: Type.Integer({ minimum: 0, description: 'Messages from the participant the caller has not marked read' }),
});
export type Conversation = Static<typeof ConversationSchema>;

export const ConversationPage = Page(ConversationSchema);
export const MessagePage = Page(Type.Ref('Message'));
export const UserIdParams = Type.Object(
  { userId: Uuid("The other participant's user id (a doctor's or patient's id)") },
  { additionalProperties: false },
);

const isoOf = (d: Date | string) => (d instanceof Date ? d : new Date(d)).toISOString();

export function toMessage(
  m: Pick<MessageRow, 'id' | 'senderId' | 'recipientId' | 'body' | 'createdAt' | 'readAt'>,
  attachments: AttachmentSummary[] = [],
): Message {
  return {
    id: m.id,
    senderId: m.senderId,
    recipientId: m.recipientId,
    body: m.body,
    attachments,
    createdAt: isoOf(m.createdAt),
    readAt: m.readAt ? isoOf(m.readAt) : null,
  };
}
