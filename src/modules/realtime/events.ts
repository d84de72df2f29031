// The one list of WebSocket frames (docs/api.md, "Messages" → Real time, "Waitlist", "Video visits"): a TypeBox
// schema per frame, the unions publishers and the hub are typed by, and a lookup by `type` for checks.
//
// It lives in the realtime module, not in the platform, because the payloads are features' schemas
// (Appointment, Message, the waitlist offer, the visit participant), which the platform must not import. The
// platform's bus and hub are generic; the declaration merging at the end registers this list with them, so
// every `p.bus.publish(…)`, `conn.send(…)` and `frames.handle(…)` in any module is checked against it without
// that module importing anything. Publishers may import from here with `import type` only: this file
// imports their public entries at run time, and a value import back would make a cycle.
import { Type, type Static, type TObject, type TSchema } from 'typebox';
import { Nullable, Timestamp, Uuid } from '../../platform/schema.ts';
import { AuthFrame, PingFrame, PongFrame, ReadyFrame } from '../../platform/websocket.ts';
import { AppointmentSchema } from '../appointments/index.ts';
import { MessageSchema } from '../messages/index.ts';
import { ParticipantSchema } from '../visits/index.ts';
import { OfferSchema } from '../waitlist/index.ts';
import { NotificationSchema } from '../inbox/index.ts';

/** A frame's envelope: its literal `type` and its fields, nothing else. */
const frame = <T extends string, P extends Parameters<typeof Type.Object>[0]>(type: T, props: P, description: string) =>
  Type.Object({ type: Type.Literal(type), ...props }, { additionalProperties: false, description });

const AppointmentId = Uuid('The visit: its appointment');

// --- Server → client, published by modules through the bus -------------------------------------------------

export const AppointmentUpdatedEvent = frame(
  'appointment.updated',
  { appointment: AppointmentSchema },
  'An appointment of the user was booked, confirmed, cancelled, moved, completed or marked no-show (to its patient and doctor)',
);
export const WaitlistOfferEvent = frame(
  'waitlist.offer',
  { offer: OfferSchema },
  'A freed slot is held for this patient until `offer.expiresAt`',
);
export const MessageCreatedEvent = frame('message.created', { message: MessageSchema }, 'A message was sent (to its sender and recipient)');
export const MessageReadEvent = frame(
  'message.read',
  {
    readerId: Uuid('Who marked the messages read'),
    senderId: Uuid('Whose messages were marked read'),
    upTo: Uuid('The last message marked read'),
    readAt: Timestamp(),
    count: Type.Integer({ minimum: 1, description: 'Messages newly marked read' }),
  },
  'Messages were marked read (to their sender, and to the reader’s other sockets)',
);
export const NotificationCreatedEvent = frame(
  'notification.created',
  { notification: NotificationSchema },
  'An entry was added to the user’s notification list, or a conversation’s unread entry counts one more message (to that user)',
);
export const VisitJoinedEvent = frame(
  'visit.joined',
  { appointmentId: AppointmentId, peerPresent: Type.Boolean() },
  'This socket joined the visit',
);
export const VisitPeerJoinedEvent = frame(
  'visit.peer-joined',
  { appointmentId: AppointmentId, peer: ParticipantSchema },
  'Two admitted participants are both in: sent to each about the other (in a call of three or four, one per pair; each pair negotiates its own peer connection)',
);
export const VisitSignalEvent = frame(
  'visit.signal',
  {
    appointmentId: AppointmentId,
    from: Uuid('The participant who sent it'),
    data: Type.Record(Type.String(), Type.Unknown(), { description: 'An SDP description or ICE candidate, relayed untouched' }),
  },
  'A signal from another participant (`from`), to the socket with which this one joined',
);
export const VisitPeerLeftEvent = frame(
  'visit.peer-left',
  {
    appointmentId: AppointmentId,
    peerId: Uuid(),
    reason: Type.Union([Type.Literal('left'), Type.Literal('disconnected')]),
  },
  'A participant of the call (`peerId`) left the visit or lost its connection; to the doctor also a guest who left the lobby',
);
export const VisitPresenceEvent = frame(
  'visit.presence',
  { appointmentId: AppointmentId, userId: Uuid('The participant who entered or left'), present: Type.Boolean() },
  'The other party of one of the user’s visits entered or left it, to every socket of the user (the agenda’s “patient waiting”)',
);
export const VisitLeftEvent = frame('visit.left', { appointmentId: AppointmentId }, 'This socket left the visit');
export const VisitErrorEvent = frame(
  'visit.error',
  {
    // The frame's appointmentId as sent (cut to 64 characters), even when it is not a UUID; null without one.
    appointmentId: Nullable(Type.String({ maxLength: 64 })),
    code: Type.String({
      description:
        'VALIDATION_FAILED, NOT_FOUND, DOCTOR_NOT_VERIFIED, VISIT_NOT_OPEN, NOT_JOINED, PEER_ABSENT, NOT_ADMITTED, ALREADY_ADMITTED, FORBIDDEN, RATE_LIMITED, REPLACED, REVOKED (a guest whose invite was revoked: out of the visit) or INTERNAL',
    }),
    detail: Type.String(),
  },
  'A visit frame failed, or the server ended this socket’s part in the visit',
);

export const VisitLobbyEvent = frame(
  'visit.lobby',
  {
    appointmentId: AppointmentId,
    doctor: Type.Union([Type.Literal('here'), Type.Literal('busy'), Type.Literal('absent')], {
      description: 'here: the doctor is in this visit (and will admit you); busy: in another visit; absent: not in any visit yet',
    }),
    lateMinutes: Nullable(Type.Integer({ minimum: 1, maximum: 120, description: 'The doctor is running late by this much' })),
  },
  'To a patient waiting in the lobby: the doctor’s status, on joining and whenever it changes',
);
export const VisitWaitingEvent = frame(
  'visit.waiting',
  { appointmentId: AppointmentId, participant: ParticipantSchema },
  'To every socket of the doctor: someone waits in the lobby of this visit (admit with `visit.admit`)',
);
export const VisitAdmittedEvent = frame(
  'visit.admitted',
  { appointmentId: AppointmentId, participantId: Uuid('Who was admitted') },
  'The doctor admitted the participant: to the admitted socket and to the doctor’s; `visit.peer-joined` follows',
);
export const VisitLobbyMessageEvent = frame(
  'visit.lobby-message',
  {
    appointmentId: AppointmentId,
    from: Uuid('The waiting participant'),
    text: Type.String({ minLength: 1, maxLength: 280 }),
    sentAt: Timestamp(),
  },
  'A short text from a participant in the lobby, to every socket of the doctor (not stored)',
);

export const VisitScreenEvent = frame(
  'visit.screen',
  { appointmentId: AppointmentId, from: Uuid('Who started or stopped sharing'), sharing: Type.Boolean() },
  'The other participant started or stopped sharing their screen (its video replaces their camera until it stops)',
);
export const VisitScreenAllowEvent = frame(
  'visit.screen-allow',
  { appointmentId: AppointmentId, allowed: Type.Boolean() },
  'The doctor allowed or withdrew the patient’s screen sharing (to the patient’s socket in the visit and to the doctor’s)',
);

/** Every event a module may publish through the bus (or send to one socket). */
export const RealtimeEventSchema = Type.Union([
  AppointmentUpdatedEvent,
  WaitlistOfferEvent,
  MessageCreatedEvent,
  MessageReadEvent,
  NotificationCreatedEvent,
  VisitJoinedEvent,
  VisitPeerJoinedEvent,
  VisitSignalEvent,
  VisitPeerLeftEvent,
  VisitLeftEvent,
  VisitErrorEvent,
  VisitPresenceEvent,
  VisitLobbyEvent,
  VisitWaitingEvent,
  VisitAdmittedEvent,
  VisitLobbyMessageEvent,
  VisitScreenEvent,
  VisitScreenAllowEvent,
]);
export type RealtimeEvent = Static<typeof RealtimeEventSchema>;
/** The event of one type, e.g. `EventOf<'waitlist.offer'>`. */
export type EventOf<T extends RealtimeEvent['type']> = Extract<RealtimeEvent, { type: T }>;

/** Every frame a client receives: the hub's own and the events. */
export const ServerFrameSchema = Type.Union([ReadyFrame, PongFrame, ...RealtimeEventSchema.anyOf]);
export type ServerFrame = Static<typeof ServerFrameSchema>;

// --- Client → server ----------------------------------------------------------------------------------------

export const VisitJoinFrame = frame('visit.join', { appointmentId: AppointmentId }, 'Join the visit on this socket');
export const VisitSignalFrame = frame(
  'visit.signal',
  {
    appointmentId: AppointmentId,
    data: Type.Record(Type.String(), Type.Unknown(), { description: 'An SDP description or ICE candidate, at most 12288 bytes of JSON' }),
    to: Type.Optional(Uuid('The participant it is for (required with three or more in the call; without it, the one other participant)')),
  },
  'A signal for another participant',
);
export const VisitLeaveFrame = frame('visit.leave', { appointmentId: AppointmentId }, 'Leave the visit');

export const VisitAdmitFrame = frame(
  'visit.admit',
  { appointmentId: AppointmentId, participantId: Uuid('The waiting participant') },
  'The doctor, joined on this socket, admits a participant from the lobby (once per visit; audited as visit.admit)',
);
export const VisitLobbyMessageFrame = frame(
  'visit.lobby-message',
  {
    appointmentId: AppointmentId,
    text: Type.String({ minLength: 1, maxLength: 280, description: '1–280 characters after trimming, no control characters' }),
  },
  'A waiting participant, joined on this socket, sends a short text to the doctor',
);

export const VisitScreenFrame = frame(
  'visit.screen',
  { appointmentId: AppointmentId, sharing: Type.Boolean() },
  'This participant started or stopped sharing their screen (the patient only while the doctor allows it)',
);
export const VisitScreenAllowFrame = frame(
  'visit.screen-allow',
  { appointmentId: AppointmentId, allowed: Type.Boolean() },
  'The doctor, joined on this socket, allows or withdraws the patient’s screen sharing in this visit',
);

/** Client frames that modules handle (registered with p.frames). */
export const ModuleClientFrameSchema = Type.Union([
  VisitJoinFrame,
  VisitSignalFrame,
  VisitLeaveFrame,
  VisitAdmitFrame,
  VisitLobbyMessageFrame,
  VisitScreenFrame,
  VisitScreenAllowFrame,
]);
export type ModuleClientFrame = Static<typeof ModuleClientFrameSchema>;
/** Every frame the hub accepts from a client: its own (auth, ping) and the modules'. */
export const ClientFrameSchema = Type.Union([AuthFrame, PingFrame, ...ModuleClientFrameSchema.anyOf]);
export type ClientFrame = Static<typeof ClientFrameSchema>;

/** `type {field, …}` of each frame of a union, for the OpenAPI description of GET /ws (generated, so it cannot drift). */
export function frameSummary(union: { anyOf: TObject[] }): string {
  return union.anyOf
    .map((s) => {
      const type = (s.properties.type as { const: string }).const;
      const fields = Object.keys(s.properties).filter((k) => k !== 'type');
      return `\`${type}\`${fields.length ? ` {${fields.join(', ')}}` : ''}`;
    })
    .join(', ');
}

/** The schema of the server frame of that `type`, or undefined for a type not in the list. */
export function serverFrameSchema(type: unknown): TObject | undefined {
  return ServerFrameSchema.anyOf.find((s) => (s.properties.type as { const?: unknown }).const === type);
}

// Registers the list with the platform's bus, hub and client-frame handlers (see platform/realtime.ts). Names
// inside the block resolve in the platform module first (it has its own RealtimeEvent), hence the aliases.
type ListedEvent = RealtimeEvent;
type ListedClientFrame = ModuleClientFrame;
declare module '../../platform/realtime.ts' {
  interface RealtimeRegistry {
    event: ListedEvent;
    clientFrame: ListedClientFrame;
  }
}

// --- The frames in the OpenAPI document ----------------------------------------------------------------------

/** `message.created` → `MessageCreated`, `visit.peer-joined` → `VisitPeerJoined`. */
const pascal = (type: string) =>
  type
    .split(/[.\-_]/)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');

/** A schema as plain JSON, with every nested schema that has an `$id` (Message, Appointment, …) made a `$ref` to its component. */
function asComponent(schema: TSchema): Record<string, unknown> {
  const walk = (v: unknown, root: boolean): unknown => {
    if (Array.isArray(v)) return v.map((x) => walk(x, false));
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (!root && typeof o.$id === 'string') return { $ref: `#/components/schemas/${o.$id}` };
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, walk(x, false)]));
    }
    return v;
  };
  return walk(JSON.parse(JSON.stringify(schema)), true) as Record<string, unknown>;
}

/**
 * Every WebSocket frame as an OpenAPI component (`WsServer<Type>`, `WsClient<Type>`) and the two unions
 * (`WsServerFrame`, `WsClientFrame`, discriminated by `type`), merged into `components.schemas` by buildApp,
 * so the portal's frame types are generated from this list (web/src/api/schema.d.ts) instead of copied.
 */
export function frameComponents(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  const add = (prefix: string, union: { anyOf: TObject[] }, name: string) => {
    const refs: { $ref: string }[] = [];
    const mapping: Record<string, string> = {};
    for (const s of union.anyOf) {
      const type = (s.properties.type as { const: string }).const;
      const key = `${prefix}${pascal(type)}`;
      out[key] = asComponent(s);
      refs.push({ $ref: `#/components/schemas/${key}` });
      mapping[type] = `#/components/schemas/${key}`;
    }
    out[name] = { oneOf: refs, discriminator: { propertyName: 'type', mapping } };
  };
  add('WsServer', ServerFrameSchema, 'WsServerFrame');
  add('WsClient', ClientFrameSchema, 'WsClientFrame');
  return out;
}
