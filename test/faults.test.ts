// Fault survival: the database going away under traffic, the server killed during a booking load,
// SMTP down during registrations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { sql } from 'drizzle-orm';
import { build, createPatient, freshDatabase, mailbox, patientBody, sleep } from './helpers.ts';

const SERVER_ONLY = process.env.TEST_DATABASE_URL ? false : 'needs a PostgreSQL server (set TEST_DATABASE_URL): the embedded engine runs in-process and cannot be cut off';

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

test('PostgreSQL unreachable under traffic: 503 UNAVAILABLE and ready 503, no other 5xx, then recovery without restart', { skip: SERVER_ONLY }, async (t) => {
  const fresh = await freshDatabase();
  await fresh.database.close();
  const real = new URL(fresh.url!);
  const proxy = new CuttableProxy({ host: real.hostname, port: Number(real.port || 5432) });
  await proxy.start();
  const viaProxy = new URL(fresh.url!);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  t.after(async () => {
    await proxy.stop();
    await fresh.drop();
  });
  const app = await build(t, {}, { databaseUrl: viaProxy.toString() });
  const patient = await createPatient(app);

  const seen: { phase: string; path: string; status: number; code?: string }[] = [];
  let phase = 'up';
  let stop = false;
  const paths: [string, string | undefined][] = [['/api/v1/me', patient.token], ['/api/v1/conversations', patient.token], ['/health/ready', undefined], ['/health/live', undefined]];
  const load = Promise.all(Array.from({ length: 4 }, async (_v, worker) => {
    for (let i = worker; !stop; i++) {
      const [path, token] = paths[i % paths.length];
      const res = await app.request('GET', path, { token });
      seen.push({ phase, path, status: res.status, code: res.body?.code });
    }
  }));

  await sleep(500);
  phase = 'down';
  proxy.cut();
  await sleep(3000);
  const ready = await app.request('GET', '/health/ready');
  assert.equal(ready.status, 503);
  assert.equal(ready.body.code, 'UNAVAILABLE');
  const me = await app.request('GET', '/api/v1/me', { token: patient.token });
  assert.equal(me.status, 503);
  assert.equal(me.body.code, 'UNAVAILABLE');
  assert.ok(Number(me.headers.get('retry-after')) > 0);
  assert.equal((await app.request('GET', '/health/live')).status, 200, 'the process itself stays live');

  phase = 'recovering';
  proxy.restore();
  const deadline = Date.now() + 15_000;
  while ((await app.request('GET', '/health/ready')).status !== 200) {
    assert.ok(Date.now() < deadline, 'ready again within 15 s of the database coming back');
    await sleep(100);
  }
  phase = 'back';
  await sleep(500);
  stop = true;
  await load;

  const bad = seen.filter((s) => s.status >= 500 && !(s.status === 503 && s.code === 'UNAVAILABLE'));
  assert.deepEqual(bad, [], 'the only 5xx while the database is away is 503 UNAVAILABLE');
  const down = seen.filter((s) => s.phase === 'down' && s.path !== '/health/live');
  assert.ok(down.length > 0 && down.filter((s) => s.status === 503).length >= down.length / 2, 'while cut, database-backed requests answer 503');
  const back = seen.filter((s) => s.phase === 'back');
  assert.ok(back.length > 0 && back.every((s) => s.status === 200), `after recovery every request succeeds: ${JSON.stringify(back.filter((s) => s.status !== 200).slice(0, 3))}`);
  // And writes work again on the same process.
  const again = await app.request('POST', '/api/v1/auth/register/patient', { body: patientBody() });
  assert.equal(again.status, 201);
});

test('SMTP down during registrations: every mail arrives once SMTP is back, none twice', async (t) => {
  // Retries back off exponentially; capped at 1 s here so that the test does not wait an hour.
  const app = await build(t, { outboxMaxBackoffSeconds: 1 });
  mailbox.accepting = false;
  t.after(() => { mailbox.accepting = true; });
  const bodies = Array.from({ length: 8 }, () => patientBody());
  const results = await Promise.all(bodies.map((body) => app.request('POST', '/api/v1/auth/register/patient', { body })));
  assert.deepEqual(results.map((r) => r.status), bodies.map(() => 201), 'registration does not depend on SMTP');

  // Wait until every queued mail has failed at least once.
  const emails = bodies.map((b) => b.email.toLowerCase());
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [row] = await app.database.rows<{ failed: number }>(sql`
      SELECT count(*)::int AS failed FROM mail_outbox WHERE lower(recipient) = ANY(${`{${emails.join(',')}}`}::text[]) AND last_error IS NOT NULL AND sent_at IS NULL`);
    if (row.failed === emails.length) break;
    assert.ok(Date.now() < deadline, 'every delivery attempt failed while SMTP refused');
    await sleep(50);
  }
  assert.equal(emails.filter((e) => mailbox.count(e) > 0).length, 0, 'nothing was accepted while down');

  mailbox.accepting = true;
  for (const e of emails) await mailbox.waitFor(e, /verif/i, 15_000);
  await sleep(1500); // past one more backoff period: a duplicate would have arrived by now
  const ours = mailbox.mails.filter((m) => emails.includes(m.to));
  assert.equal(ours.length, emails.length, 'exactly one mail per registration');
  assert.equal(new Set(ours.map((m) => m.messageId)).size, emails.length, 'no Message-ID twice');
  const [pending] = await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM mail_outbox WHERE sent_at IS NULL`);
  assert.equal(pending.n, 0);
});
