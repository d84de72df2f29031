// Server engine only (npm test runs *.server.test.ts with TEST_DATABASE_URL): the embedded
// engine runs in-process and cannot be cut off. The database goes away under traffic and comes back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { build, createPatient, freshDatabase, patientBody, sleep } from './helpers.ts';

/** FAULTS_TRACE=1 prints the phases, to locate a hang. */
const trace = (m: string) => {
  if (process.env.FAULTS_TRACE) console.error(`[faults] ${m}`);
};

/**
 * A TCP proxy in front of PostgreSQL that can be cut and restored, so that the shared server other
 * tests use is never stopped. While cut, open connections are destroyed and new ones reset at once.
 */
class CuttableProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  up = true;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    this.server = net.createServer((client) => {
      if (!this.up) return client.destroy();
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  cut(): void {
    this.up = false;
    for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.up = true;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

test('PostgreSQL unreachable under traffic: 503 UNAVAILABLE and ready 503, no other 5xx, then recovery without restart', async (t) => {
  const fresh = await freshDatabase();
  await fresh.database.close();
  const real = new URL(fresh.url!);
  const proxy = new CuttableProxy({ host: real.hostname, port: Number(real.port || 5432) });
  await proxy.start();
  const viaProxy = new URL(fresh.url!);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  // Closed in this order: the app while the proxy is up, then the proxy, then the database.
  const app = await build(undefined, {}, { databaseUrl: viaProxy.toString() });
  t.after(async () => {
    proxy.restore();
    await app.close();
    trace('app closed');
    await proxy.stop();
    trace('proxy stopped');
    await fresh.drop();
    trace('dropped');
  });
  const patient = await createPatient(app);

  const seen: { phase: string; path: string; status: number; code?: string }[] = [];
  let phase = 'up';
  let stop = false;
  const paths: [string, string | undefined][] = [
    ['/api/v1/me', patient.token],
    ['/api/v1/conversations', patient.token],
    ['/health/ready', undefined],
    ['/health/live', undefined],
  ];
  const load = Promise.all(
    Array.from({ length: 4 }, async (_v, worker) => {
      for (let i = worker; !stop; i++) {
        const [path, token] = paths[i % paths.length];
        const res = await app.request('GET', path, { token });
        seen.push({ phase, path, status: res.status, code: res.body?.code });
      }
    }),
  );

  trace('loaded');
  await sleep(500);
  phase = 'down';
  proxy.cut();
  await sleep(3000);
  const ready = await app.request('GET', '/health/ready');
  assert.equal(ready.status, 503);
  assert.equal(ready.body.code, 'UNAVAILABLE');
  assert.deepEqual(
    ready.body.reasons.map((r: { check: string }) => r.check),
    ['database'],
  );
  const me = await app.request('GET', '/api/v1/me', { token: patient.token });
  assert.equal(me.status, 503);
  assert.equal(me.body.code, 'UNAVAILABLE');
  assert.ok(Number(me.headers.get('retry-after')) > 0);
  assert.equal((await app.request('GET', '/health/live')).status, 200, 'the process itself stays live');

  trace('checked down');
  phase = 'recovering';
  proxy.restore();
  const deadline = Date.now() + 15_000;
  while ((await app.request('GET', '/health/ready')).status !== 200) {
    assert.ok(Date.now() < deadline, 'ready again within 15 s of the database coming back');
    await sleep(100);
  }
  phase = 'back';
  trace('ready again');
  await sleep(500);
  stop = true;
  await load;
  trace('load stopped');

  const bad = seen.filter((s) => s.status >= 500 && !(s.status === 503 && s.code === 'UNAVAILABLE'));
  assert.deepEqual(bad, [], 'the only 5xx while the database is away is 503 UNAVAILABLE');
  const down = seen.filter((s) => s.phase === 'down' && s.path !== '/health/live');
  assert.ok(
    down.length > 0 && down.filter((s) => s.status === 503).length >= down.length / 2,
    'while cut, database-backed requests answer 503',
  );
  const back = seen.filter((s) => s.phase === 'back');
  assert.ok(
    back.length > 0 && back.every((s) => s.status === 200),
    `after recovery every request succeeds: ${JSON.stringify(back.filter((s) => s.status !== 200).slice(0, 3))}`,
  );
  // And writes work again on the same process.
  const again = await app.request('POST', '/api/v1/auth/register/patient', { body: patientBody() });
  assert.equal(again.status, 201);
  // No pooled client was lost to the outage: with the load stopped, every client goes back to the pool
  // (a transaction whose BEGIN failed used to keep its client for ever, and shutdown then hung on it).
  const pool = app.database.pool!;
  const settled = Date.now() + 5000;
  while (pool.totalCount !== pool.idleCount && Date.now() < settled) await sleep(50);
  assert.equal(pool.totalCount - pool.idleCount, 0, 'clients still checked out after the load stopped');
});
