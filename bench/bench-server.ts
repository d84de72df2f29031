// The application exactly as src/server.ts builds it, plus a loopback-only control port that this
// benchmark uses to publish one event to many users through the app's own real-time bus (there is
// no API call that addresses thousands of users at once). Not part of the product.
import { createServer } from 'node:http';
import { buildApp } from '../src/app.ts';
import { ensureSecret, loadConfig } from '../src/platform/config.ts';
import type { RealtimeEvent } from '../src/modules/realtime/index.ts';

const config = ensureSecret(loadConfig());
const app = await buildApp(config);
await app.listen({ port: config.port, host: config.host });

const control = createServer((req, res) => {
  // GET: resident memory after a full collection (the process runs with --expose-gc), so that
  // before/after differences measure what is held, not what is waiting to be collected.
  if (req.method === 'GET') {
    (globalThis as { gc?: () => void }).gc?.();
    const m = process.memoryUsage();
    return res.end(JSON.stringify({ rss: m.rss, heap: m.heapUsed + m.external }));
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const { userIds, event } = JSON.parse(Buffer.concat(chunks).toString()) as { userIds: string[]; event: RealtimeEvent };
    app.platform.bus.publish(userIds, event).then(
      () => res.end('{}'),
      (err: Error) => res.writeHead(500).end(err.message),
    );
  });
});
control.listen(Number(process.env.BENCH_CONTROL_PORT), '127.0.0.1');
// A close that fails is an unhandled rejection, which ends the process too.
process.on('SIGTERM', () => {
  control.close();
  void app.close().then(() => process.exit(0));
});
