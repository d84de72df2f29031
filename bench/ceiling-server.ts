// The framework ceiling, in its own process: a bare Fastify route returning a constant JSON body of a
// requested size, and a bare `ws` server that sends one pre-serialised buffer to every socket it holds.
import Fastify from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';

const bodies = new Map<number, string>();
function constant(size: number): string {
  let b = bodies.get(size);
  if (!b) {
    const head = '{"data":"';
    b = head + 'x'.repeat(Math.max(0, size - head.length - 2)) + '"}';
    bodies.set(size, b);
  }
  return b;
}

const app = Fastify({ logger: false });
const sockets = new Set<WebSocket>();
let frame: Buffer = Buffer.from('{}');

app.get('/health/ready', async () => ({ status: 'ok' }));
app.get<{ Params: { size: string } }>('/const/:size', async (req, reply) =>
  reply.type('application/json; charset=utf-8').send(constant(Math.min(1_000_000, Number(req.params.size) || 2))),
);
// The buffer is set once; the broadcast itself then only sends it.
app.put('/frame', async (req) => {
  frame = Buffer.from(JSON.stringify(req.body));
  return { bytes: frame.length };
});
app.post('/broadcast', async () => {
  for (const s of sockets) s.send(frame);
  return { sent: sockets.size };
});
app.get('/sockets', async () => ({ count: sockets.size }));

await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
const wss = new WebSocketServer({ server: app.server, path: '/ws' });
wss.on('connection', (s) => {
  sockets.add(s);
  s.on('close', () => sockets.delete(s));
});
process.on('SIGTERM', () => process.exit(0));
