// A visit guest's own WebSocket (issue 30): the guest has no account and no session, only the room-only pass
// POST /visit-guests/redeem gave (`vgc_…`), which the socket's auth frame carries instead of an access token.
// It reconnects after a drop like the signed-in tab's socket (realtime.ts), and stops for good when the server
// closes it as unauthenticated (4401: the visit closed or the invite was revoked).
import { openSocket, readFrame, reconnectDelay, type RealtimeEvent, type VisitFrame } from './realtime';
import type { CallChannel } from './pages/shared/visit/useCall';

/** The server's close code for a pass that no longer holds (src/platform/websocket.ts CLOSE.UNAUTHENTICATED). */
const UNAUTHENTICATED = 4401;

export interface GuestChannel extends CallChannel {
  close(): void;
}

export function guestChannel(pass: string): GuestChannel {
  const listeners = new Set<(e: RealtimeEvent) => void>();
  const emit = (e: RealtimeEvent) => listeners.forEach((l) => l(e));
  let socket: WebSocket | null = null;
  let connected = false;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;

  const connect = () => {
    if (closed || socket) return;
    const ws = openSocket(pass);
    socket = ws;
    ws.onmessage = (m) => {
      const frame = readFrame(m);
      if (!frame) return;
      if (frame.type === 'ready') {
        attempt = 0;
        connected = true;
        emit({ type: 'status', connected: true });
        return;
      }
      emit(frame as RealtimeEvent);
    };
    ws.onclose = (e) => {
      if (socket === ws) socket = null;
      connected = false;
      emit({ type: 'status', connected: false });
      if (e.code === UNAUTHENTICATED) {
        closed = true;
        return;
      }
      if (closed || timer) return;
      const delay = reconnectDelay(attempt);
      attempt += 1;
      timer = setTimeout(() => {
        timer = null;
        connect();
      }, delay);
    };
  };
  connect();

  return {
    send(frame: VisitFrame) {
      if (!socket || !connected || socket.readyState !== WebSocket.OPEN) return false;
      socket.send(JSON.stringify(frame));
      return true;
    },
    on(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      const ws = socket;
      socket = null;
      ws?.close();
    },
  };
}
