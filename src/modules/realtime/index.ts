// The public entry of the realtime module: what other modules may use of it (lint: import-x/no-restricted-paths).
// The one list of WebSocket frames. Modules import it with `import type` only (events.ts says why).
import type { EventOf } from './events.ts';

export { ClientFrameSchema, RealtimeEventSchema, ServerFrameSchema, serverFrameSchema } from './events.ts';
export type { ClientFrame, EventOf, ModuleClientFrame, RealtimeEvent, ServerFrame } from './events.ts';
/** `waitlist.offer`: a freed slot held for the patient it is sent to. */
export type WaitlistOfferEvent = EventOf<'waitlist.offer'>;
