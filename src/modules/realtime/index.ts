// The WebSocket: the one list of frames the server sends and accepts. Modules import it with `import type`
// only (events.ts says why).
// Owns no table.
// This file is its public entry: what other modules may use of it (lint: import-x/no-restricted-paths).
import type { EventOf } from './events.ts';

export { ClientFrameSchema, RealtimeEventSchema, ServerFrameSchema, serverFrameSchema } from './events.ts';
export type { ClientFrame, EventOf, ModuleClientFrame, RealtimeEvent, ServerFrame } from './events.ts';
/** `waitlist.offer`: a freed slot held for the patient it is sent to. */
export type WaitlistOfferEvent = EventOf<'waitlist.offer'>;
