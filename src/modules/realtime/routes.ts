// The real-time endpoint: GET /ws upgrades to a WebSocket served by the platform's hub (src/platform/websocket.ts:
// authentication frame, heartbeat, per-user delivery across instances). Modules add client frames through
// p.clientFrames (visits' signalling) and publish events through p.bus; this file only mounts the route.
import type { FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import { AppError } from '../../platform/errors.ts';
import { problems } from '../../platform/http.ts';
import { Hub, MAX_PENDING_FRAMES } from '../../platform/websocket.ts';
import { ClientFrameSchema, frameSummary, ServerFrameSchema } from './events.ts';

const DESCRIPTION = [
  'Upgrade to a WebSocket. The first client frame must be `{"type":"auth","accessToken":"<access token>"}`;',
  'the server answers `{"type":"ready","userId":…,"heartbeatMs":…}` and then pushes',
  '`{"type":"message.created","message":{…}}`, `{"type":"message.read","readerId","senderId","upTo","readAt","count"}`',
  'and `{"type":"appointment.updated","appointment":{…}}` to every socket of the users concerned, on whichever instance,',
  'and `{"type":"waitlist.offer","offer":{…}}` to the patient offered a freed slot.',
  'Close codes: 4401 missing/malformed auth frame or invalid, expired or revoked token (also later, when the session ends);',
  '4403 account suspended; 4408 no auth frame within WS_AUTH_TIMEOUT_MS (default 10 s); 4429 more than',
  'WS_MAX_CONNECTIONS_PER_USER sockets (default 10); 1009 a frame above WS_MAX_PAYLOAD_BYTES (default 16 KiB); 1001 shutdown;',
  `1008 more than ${MAX_PENDING_FRAMES} frames sent while earlier ones still wait to be handled.`,
  'The server pings every WS_HEARTBEAT_MS (default 30 s) and drops sockets that miss a pong. Clients may send `{"type":"ping"}`.',
  'Delivery is at most once: after reconnecting, refetch conversations/history. A plain HTTP GET answers 400.',
  'Video-visit signalling (`visit.join`, `visit.signal`, `visit.leave` → `visit.joined`, `visit.peer-joined`, `visit.signal`,',
  '`visit.peer-left`, `visit.left`, `visit.error`) runs on this socket too: see GET /appointments/{id}/visit.',
  // Generated from the one list (src/modules/realtime/events.ts), which tests check every received frame against.
  `Every frame, by type {fields}. Server → client: ${frameSummary(ServerFrameSchema)}.`,
  `Client → server: ${frameSummary(ClientFrameSchema)}.`,
].join(' ');

/** GET /ws: the real-time endpoint (mounted under /api/v1). */
export default async function realtimeRoutes(app: FastifyInstance): Promise<void> {
  const p = app.platform;
  const hub = new Hub(p);
  await app.register(websocket, {
    options: { maxPayload: p.config.wsMaxPayloadBytes },
    // An error on an open socket is the client's doing (a frame above WS_MAX_PAYLOAD_BYTES, which ws has already
    // closed with 1009; an unclean disconnect): one warn line with its code, never an error with a stack.
    errorHandler(error, socket, request) {
      request.log.warn({ err: error.message, code: (error as NodeJS.ErrnoException).code }, 'websocket closed on a client error');
      socket.terminate();
    },
    // Tell clients to reconnect elsewhere (1001) instead of the library's bare close.
    preClose(this: FastifyInstance, done) {
      hub.stop();
      this.websocketServer.close();
      done();
    },
  });
  hub.start();
  app.route({
    method: 'GET',
    url: '/ws',
    schema: {
      operationId: 'openRealtimeSocket',
      tags: ['realtime'],
      summary: 'Real-time events over a WebSocket',
      description: DESCRIPTION,
      response: problems(400),
    },
    handler: async () => {
      throw new AppError('VALIDATION_FAILED', 'This endpoint needs a WebSocket upgrade (Connection: Upgrade, Upgrade: websocket)');
    },
    wsHandler: (socket, req) => hub.accept(socket, req),
  });
}
