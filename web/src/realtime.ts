// One WebSocket per tab while signed in: authenticates with the in-memory access token, reconnects with
// exponential backoff after a drop, and hands typed events to whoever listens. Delivery is at most once
// (docs/decisions.md), so listeners also get a `reconnected` event and refetch.
import type { components } from './api/schema';
import { session } from './session';

type Message = components['schemas']['Message'];
type Participant = { id: string; firstname: string; lastname: string; role: 'PATIENT' | 'DOCTOR' };

/** Video visit signalling (docs/api.md "Video visits"); `data` is an SDP description or an ICE candidate. */
export interface VisitSignalData {
  description?: RTCSessionDescriptionInit;
  candidate?: RTCIceCandidateInit | null;
}
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
/** The doctor as the lobby sees them: in this visit, in another one, not in yet. */
export type DoctorWhereabouts = 'here' | 'busy' | 'absent';
export type VisitEvent =
  | { type: 'visit.joined'; appointmentId: string; peerPresent: boolean }
  | { type: 'visit.peer-joined'; appointmentId: string; peer: Participant }
  | { type: 'visit.signal'; appointmentId: string; from: string; data: VisitSignalData }
  | { type: 'visit.peer-left'; appointmentId: string; peerId: string; reason: 'left' | 'disconnected' }
  | { type: 'visit.left'; appointmentId: string }
  | { type: 'visit.error'; appointmentId: string | null; code: VisitErrorCode; detail: string }
  | { type: 'visit.lobby'; appointmentId: string; doctor: DoctorWhereabouts; lateMinutes: number | null }
  | { type: 'visit.waiting'; appointmentId: string; participant: Participant }
  | { type: 'visit.admitted'; appointmentId: string; participantId: string }
  | { type: 'visit.lobby-message'; appointmentId: string; from: string; text: string; sentAt: string }
  | { type: 'visit.screen'; appointmentId: string; from: string; sharing: boolean }
  | { type: 'visit.screen-allow'; appointmentId: string; allowed: boolean };
export type VisitFrame =
  | { type: 'visit.join'; appointmentId: string }
  | { type: 'visit.signal'; appointmentId: string; data: VisitSignalData }
  | { type: 'visit.leave'; appointmentId: string }
  | { type: 'visit.admit'; appointmentId: string; participantId: string }
  | { type: 'visit.lobby-message'; appointmentId: string; text: string }
  | { type: 'visit.screen'; appointmentId: string; sharing: boolean }
  | { type: 'visit.screen-allow'; appointmentId: string; allowed: boolean };

/** A freed slot held for this patient until `expiresAt` (docs/api.md "Waitlist"). */
export interface WaitlistOffer {
  id: string;
  doctorId: string;
  startsAt: string;
  endsAt: string;
  expiresAt: string;
}

export type RealtimeEvent =
  | { type: 'message.created'; message: Message }
  | { type: 'message.read'; readerId?: string; upTo?: string; [k: string]: unknown }
  | { type: 'appointment.updated'; appointment: { id: string; status: string; startsAt: string; [k: string]: unknown } }
  | { type: 'waitlist.offer'; offer: WaitlistOffer }
  | { type: 'visit.presence'; appointmentId: string; userId: string; present: boolean }
  | VisitEvent
  | { type: 'pong' }
  | { type: 'reconnected' }
  | { type: 'status'; connected: boolean };

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

function connect() {
  if (socket || !session.accessToken) return;
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/ws`);
  socket = ws;
  ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', accessToken: session.accessToken }));
  ws.onmessage = (m) => {
    let frame: { type?: string };
    try {
      frame = JSON.parse(String(m.data));
    } catch {
      return;
    }
    if (frame.type === 'ready') {
      attempt = 0;
      setConnected(true);
      if (everConnected) emit({ type: 'reconnected' });
      everConnected = true;
      return;
    }
    if (frame.type) emit(frame as RealtimeEvent);
  };
  ws.onclose = () => {
    if (socket === ws) socket = null;
    setConnected(false);
    scheduleReconnect();
  };
}

function scheduleReconnect() {
  if (timer || !session.accessToken) return;
  // 1 s, 2 s, 4 s … capped at 30 s, with jitter so a restarted server is not hit by every tab at once.
  const delay = Math.min(30_000, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2);
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
