// One WebSocket per tab while signed in: authenticates with the in-memory access token, reconnects with
// exponential backoff after a drop, and hands typed events to whoever listens. Delivery is at most once
// (docs/decisions.md), so listeners also get a `reconnected` event and refetch.
import type { components } from './api/schema';
import { session } from './session';

// The frames' types are generated from the server's one list (src/modules/realtime/events.ts → the OpenAPI
// document's `components.schemas` → web/src/api/schema.d.ts by `npm run openapi`): none is written here.
type S = components['schemas'];

/** Video visit signalling (docs/api.md "Video visits"); `data` is an SDP description or an ICE candidate. */
export interface VisitSignalData {
  description?: RTCSessionDescriptionInit;
  candidate?: RTCIceCandidateInit | null;
}
/** The server relays `data` untouched (a JSON object): the portal sends and reads it as VisitSignalData. */
type WithSignal<F> = F extends { type: 'visit.signal'; data: unknown } ? Omit<F, 'data'> & { data: VisitSignalData } : F;

export type VisitErrorCode =
  | 'REPLACED'
  | 'VISIT_NOT_OPEN'
  | 'PEER_ABSENT'
  | 'NOT_JOINED'
  | 'RATE_LIMITED'
  | 'NOT_FOUND'
  | 'DOCTOR_NOT_VERIFIED'
  | 'VALIDATION_FAILED'
  | 'NOT_ADMITTED'
  | 'ALREADY_ADMITTED'
  | 'FORBIDDEN'
  | 'INTERNAL';

/** Every frame the server sends after `ready` (`pong` answers the pre-call check's probe, probeRoundTrips). */
export type ServerEvent = WithSignal<Exclude<S['WsServerFrame'], { type: 'ready' }>>;
export type VisitEvent = Extract<ServerEvent, { type: `visit.${string}` }>;
/** A frame the portal sends on its socket (the hub's `auth` and `ping` are sent here only). */
export type VisitFrame = WithSignal<Exclude<S['WsClientFrame'], { type: 'auth' | 'ping' }>>;
export type WaitlistOffer = S['WsServerWaitlistOffer']['offer'];
export type Notification = S['Notification'];
/** The doctor as the lobby sees them: in this visit, in another one, not in yet. */
export type DoctorWhereabouts = Extract<ServerEvent, { type: 'visit.lobby' }>['doctor'];

export type RealtimeEvent = ServerEvent | { type: 'reconnected' } | { type: 'status'; connected: boolean };

type Listener = (e: RealtimeEvent) => void;
const listeners = new Set<Listener>();
let socket: WebSocket | null = null;
let attempt = 0;
let timer: ReturnType<typeof setTimeout> | null = null;
let everConnected = false;
export let connected = false;

function emit(e: RealtimeEvent) {
  for (const l of listeners) l(e);
}

function setConnected(v: boolean) {
  connected = v;
  emit({ type: 'status', connected: v });
}

/** The API's WebSocket, its auth frame sent with `accessToken` (a user's access token, or a visit guest's pass). */
export function openSocket(accessToken: string): WebSocket {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/ws`);
  ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', accessToken }));
  return ws;
}

/** A server frame, or null for what is not a JSON object with a type. */
export function readFrame(m: MessageEvent): { type: string } | null {
  try {
    const frame = JSON.parse(String(m.data)) as { type?: unknown } | null;
    return frame && typeof frame.type === 'string' ? (frame as { type: string }) : null;
  } catch {
    return null;
  }
}

/** 1 s, 2 s, 4 s … capped at 30 s, with jitter so a restarted server is not hit by every tab at once. */
export const reconnectDelay = (attempt: number) => Math.min(30_000, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2);

function connect() {
  if (socket || !session.accessToken) return;
  const ws = openSocket(session.accessToken);
  socket = ws;
  ws.onmessage = (m) => {
    const frame = readFrame(m);
    if (!frame) return;
    if (frame.type === 'ready') {
      attempt = 0;
      setConnected(true);
      if (everConnected) emit({ type: 'reconnected' });
      everConnected = true;
      return;
    }
    emit(frame as RealtimeEvent);
  };
  ws.onclose = () => {
    if (socket === ws) socket = null;
    setConnected(false);
    scheduleReconnect();
  };
}

function scheduleReconnect() {
  if (timer || !session.accessToken) return;
  const delay = reconnectDelay(attempt);
  attempt += 1;
  timer = setTimeout(async () => {
    timer = null;
    // The access token may have expired while we were away: refresh first (a no-op failure signs out).
    if (attempt > 1) await session.refresh();
    connect();
  }, delay);
}

function disconnect() {
  if (timer) clearTimeout(timer);
  timer = null;
  attempt = 0;
  everConnected = false;
  const ws = socket;
  socket = null;
  ws?.close();
}

session.subscribe(() => (session.me ? connect() : disconnect()));

export function onRealtime(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Sends a frame on the tab's socket once it is authenticated; answers false when it is not (the caller retries on `status`). */
export function sendRealtime(frame: VisitFrame): boolean {
  if (!socket || !connected || socket.readyState !== WebSocket.OPEN) return false;
  socket.send(JSON.stringify(frame));
  return true;
}

/**
 * Round trips to our server over the tab's socket (the hub answers `ping` with `pong`), one after the other:
 * the milliseconds of each, or null when the socket is not up or a pong did not come within `timeoutMs`.
 */
export async function probeRoundTrips(n: number, timeoutMs = 3000): Promise<number[] | null> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const ws = socket;
    if (!ws || !connected || ws.readyState !== WebSocket.OPEN) return null;
    const t0 = performance.now();
    const ok = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        off();
        resolve(false);
      }, timeoutMs);
      const off = onRealtime((e) => {
        if (e.type !== 'pong') return;
        clearTimeout(timer);
        off();
        resolve(true);
      });
      ws.send(JSON.stringify({ type: 'ping' }));
    });
    if (!ok) return null;
    out.push(performance.now() - t0);
  }
  return out;
}
