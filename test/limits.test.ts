// Resource limits: body size, pagination, the general per-address rate limit, /metrics, and the
// WebSocket frame and per-user connection caps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import WebSocket from 'ws';
import pino from 'pino';
import { build, createPatient, expectProblem, PASSWORD, patientBody, sleep, type TestApp } from './helpers.ts';
import { loadConfig } from '../src/platform/config.ts';
import { startMetricsListener } from '../src/platform/metrics.ts';

/** Scrapes the app's own metrics listener (as src/server.ts starts it), on a free loopback port. */
const listeners = new WeakMap<TestApp, Promise<string>>();
function metricsUrl(app: TestApp): Promise<string> {
  let url = listeners.get(app);
  if (!url) {
    url = startMetricsListener(app.app, '127.0.0.1', 0).then((server) => {
      // The test file must be able to exit while the listener still listens.
      server.unref();
      return `http://127.0.0.1:${(server.address() as { port: number }).port}/metrics`;
    });
    listeners.set(app, url);
  }
  return url;
}
async function scrape(app: TestApp): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(await metricsUrl(app));
  return { status: res.status, text: await res.text(), headers: res.headers };
}

test('a body over BODY_LIMIT_BYTES answers 400 VALIDATION_FAILED (not 413 or 500) and writes nothing', async (t) => {
  const app = await build(t, { bodyLimitBytes: 4096 });
  const body = patientBody({ medicalHistory: 'x'.repeat(8000) });
  const res = await app.request('POST', '/api/v1/auth/register/patient', { body });
  expectProblem(res, 400, 'VALIDATION_FAILED');
  assert.match(res.body.detail, /too large/);
  const login = await app.request('POST', '/api/v1/auth/login', { body: { login: body.username, password: PASSWORD } });
  expectProblem(login, 401, 'INVALID_CREDENTIALS');
});

test('the default body cap is 256 KiB and configurable from the environment', () => {
  assert.equal(loadConfig({}).bodyLimitBytes, 256 * 1024);
  assert.equal(loadConfig({ BODY_LIMIT_BYTES: '65536' }).bodyLimitBytes, 65536);
  assert.throws(() => loadConfig({ BODY_LIMIT_BYTES: 'lots' }), /BODY_LIMIT_BYTES/);
});

/** A paginated GET route of the published OpenAPI document that anyone (or a patient) may call. */
async function paginatedRoutes(app: TestApp): Promise<string[]> {
  const doc = (await app.request('GET', '/openapi.json')).body;
  const out: string[] = [];
  for (const [path, ops] of Object.entries<any>(doc.paths)) {
    const params: any[] = ops.get?.parameters ?? [];
    if (params.some((p) => p.in === 'query' && p.name === 'limit') && !params.some((p) => p.in === 'path')) out.push(path);
  }
  return out;
}

test('every paginated list refuses limit=101 and limit=0 with 400, and accepts 100', async (t) => {
  const app = await build(t);
  const paths = await paginatedRoutes(app);
  t.diagnostic(`paginated routes without path parameters: ${paths.join(', ') || 'none yet'}`);
  const patient = await createPatient(app);
  for (const path of paths) {
    for (const bad of ['101', '0', '-1', 'abc', '1e9']) {
      const res = await app.request('GET', `${path}?limit=${bad}`, { token: patient.token });
      // A route the patient may not use answers 403/404 before validating; only schema answers count.
      if (res.status === 403) continue;
      expectProblem(res, 400, 'VALIDATION_FAILED');
    }
    const ok = await app.request('GET', `${path}?limit=100`, { token: patient.token });
    assert.ok(ok.status === 200 || ok.status === 403, `${path}?limit=100 → ${ok.status} ${ok.text}`);
  }
});

test('the general rate limit answers 429 RATE_LIMITED with Retry-After per address, and spares health and metrics', async (t) => {
  const app = await build(t, { rateLimitMax: 5, rateLimitWindowSeconds: 30 });
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await app.request('GET', '/openapi.json')).status);
  assert.deepEqual(statuses, [200, 200, 200, 200, 200]);
  const limited = await app.request('GET', '/api/v1/me');
  expectProblem(limited, 429, 'RATE_LIMITED');
  const retryAfter = Number(limited.headers.get('retry-after'));
  assert.ok(retryAfter > 0 && retryAfter <= 30, `Retry-After ${limited.headers.get('retry-after')}`);
  assert.ok(limited.headers.get('x-request-id'));
  // Operational endpoints stay reachable for the load balancer and the scraper.
  assert.equal((await app.request('GET', '/health/live')).status, 200);
  assert.equal((await app.request('GET', '/health/ready')).status, 200);
  assert.equal((await scrape(app)).status, 200);
});

test('the rate limit is on by default, generous, configurable, and RATE_LIMIT_MAX=0 turns it off', async (t) => {
  const def = loadConfig({});
  assert.ok(def.rateLimitMax >= 1000, 'a clinic behind one NAT address must fit');
  assert.equal(def.rateLimitWindowSeconds, 60);
  assert.equal(loadConfig({ RATE_LIMIT_MAX: '0' }).rateLimitMax, 0);
  assert.equal(loadConfig({ RATE_LIMIT_MAX: '50', RATE_LIMIT_WINDOW_SECONDS: '10' }).rateLimitWindowSeconds, 10);
  const app = await build(t, { rateLimitMax: 0 });
  const res = await Promise.all(Array.from({ length: 50 }, () => app.request('GET', '/health/live')));
  assert.ok(res.every((r) => r.status === 200));
  assert.equal((await app.request('GET', '/openapi.json')).headers.get('x-ratelimit-limit'), null);
});

test('/metrics serves Prometheus text by route pattern, pool, outbox and WebSocket gauges, and is not in the API docs', async (t) => {
  const app = await build(t);
  const patient = await createPatient(app);
  await app.request('GET', '/api/v1/me', { token: patient.token });
  await app.request('GET', '/no/such/route/123');
  const res = await scrape(app);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
  assert.match(res.text, /telecare_http_requests_total\{method="GET",route="\/api\/v1\/me",status_code="200"\} 1/);
  assert.match(res.text, /telecare_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/api\/v1\/me"/);
  assert.match(res.text, /route="unmatched"/);
  assert.doesNotMatch(res.text, /no\/such\/route/);
  assert.match(res.text, new RegExp(`telecare_db_pool_connections\\{engine="${app.database.engine}",state="total"\\} \\d`));
  assert.match(res.text, /telecare_mail_outbox_pending \d+/);
  assert.match(res.text, /telecare_websocket_connections \d+/);
  const doc = (await app.request('GET', '/openapi.json')).body;
  assert.equal(doc.paths['/metrics'], undefined);
});

test('/metrics is never anonymous on the public port: 404 without METRICS_TOKEN, its own loopback listener by default', async (t) => {
  const def = loadConfig({});
  assert.deepEqual([def.metricsPort, def.metricsHost, def.metricsToken], [9464, '127.0.0.1', null]);
  assert.deepEqual(
    [loadConfig({ METRICS_PORT: '9100', METRICS_HOST: '10.0.0.5' }).metricsPort, loadConfig({ METRICS_HOST: '10.0.0.5' }).metricsHost],
    [9100, '10.0.0.5'],
  );
  assert.equal(loadConfig({ METRICS_PORT: 'off' }).metricsPort, null);
  assert.throws(() => loadConfig({ METRICS_PORT: 'x' }), /METRICS_PORT/);
  const app = await build(t);
  expectProblem(await app.request('GET', '/metrics'), 404, 'NOT_FOUND');
  const res = await scrape(app);
  assert.equal(res.status, 200);
  assert.match(res.text, /telecare_http_requests_total/);
  assert.equal((await fetch((await metricsUrl(app)).replace('/metrics', '/api/v1/doctors'))).status, 404);
});

test('/metrics requires the bearer token on the public port when METRICS_TOKEN is set', async (t) => {
  const app = await build(t, { metricsToken: 'scrape-secret-123' });
  expectProblem(await app.request('GET', '/metrics'), 401, 'UNAUTHENTICATED');
  expectProblem(await app.request('GET', '/metrics', { token: 'wrong' }), 401, 'UNAUTHENTICATED');
  assert.equal((await app.request('GET', '/metrics', { token: 'scrape-secret-123' })).status, 200);
});

// ---------- WebSocket caps (GET /api/v1/ws, see src/platform/websocket.ts) ----------

function wsUrl(app: TestApp): string {
  return `${app.url.replace(/^http/, 'ws')}/api/v1/ws`;
}

/** Opens an authenticated socket; resolves with it after `ready`, or with the close code if refused. */
function connect(app: TestApp, token: string): Promise<{ ws: WebSocket; closeCode: number | null }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(app));
    ws.on('error', () => undefined);
    ws.once('open', () => ws.send(JSON.stringify({ type: 'auth', accessToken: token })));
    ws.once('message', (m) => {
      if (JSON.parse(String(m)).type === 'ready') resolve({ ws, closeCode: null });
    });
    ws.once('close', (code) => resolve({ ws, closeCode: code }));
    setTimeout(() => reject(new Error('no ready frame and no close within 5 s')), 5000).unref();
  });
}

test('the WebSocket endpoint closes a connection that sends a frame over WS_MAX_PAYLOAD_BYTES with 1009', async (t) => {
  const app = await build(t, { wsMaxPayloadBytes: 1024 });
  const patient = await createPatient(app);
  const { ws, closeCode } = await connect(app, patient.token);
  assert.equal(closeCode, null);
  const closed = new Promise<number>((resolve) => ws.once('close', resolve));
  ws.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(2048) }));
  assert.equal(await closed, 1009);
  // A frame under the cap is fine on a new socket.
  const again = await connect(app, patient.token);
  const pong = new Promise<string>((resolve) => again.ws.once('message', (m) => resolve(String(m))));
  again.ws.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(512) }));
  assert.equal(JSON.parse(await pong).type, 'pong');
  again.ws.close();
});

test('an oversized WebSocket frame is logged once at warn, with its code and no stack', async (t) => {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        done();
      },
    }),
  );
  const app = await build(t, { wsMaxPayloadBytes: 1024 }, { logger });
  const patient = await createPatient(app);
  const { ws } = await connect(app, patient.token);
  const closed = new Promise<number>((resolve) => ws.once('close', resolve));
  ws.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(2048) }));
  assert.equal(await closed, 1009);
  // Info and above: what production logs at its default level.
  const about = () =>
    lines.filter((l) => Number(l.level) >= 30 && /WS_ERR_UNSUPPORTED_MESSAGE_LENGTH|Max payload/i.test(JSON.stringify(l)));
  // The server logs when it handles the error, which may come a moment after the client saw the close.
  while (!about().length) await new Promise((r) => setTimeout(r, 10));
  const [line] = about();
  assert.equal(about().length, 1, JSON.stringify(about()));
  assert.equal(line.level, 40, JSON.stringify(line));
  assert.equal(line.code, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
  assert.doesNotMatch(JSON.stringify(line), /"stack"|\bat [\w.<>]+ \(/);
});

test('one user cannot hold more than WS_MAX_CONNECTIONS_PER_USER sockets (4429); others are unaffected', async (t) => {
  const app = await build(t, { wsMaxConnectionsPerUser: 3 });
  const patient = await createPatient(app);
  const other = await createPatient(app);
  const sockets: WebSocket[] = [];
  t.after(() => sockets.forEach((s) => s.terminate()));
  for (let i = 0; i < 3; i++) {
    const c = await connect(app, patient.token);
    sockets.push(c.ws);
    assert.equal(c.closeCode, null, `socket ${i + 1} of 3 must be accepted`);
  }
  const fourth = await connect(app, patient.token);
  sockets.push(fourth.ws);
  assert.equal(fourth.closeCode, 4429);
  const theirs = await connect(app, other.token);
  sockets.push(theirs.ws);
  assert.equal(theirs.closeCode, null);
  // Closing one frees a place.
  const gone = new Promise((resolve) => sockets[0].once('close', resolve));
  sockets[0].close();
  await gone;
  await sleep(50);
  const fifth = await connect(app, patient.token);
  sockets.push(fifth.ws);
  assert.equal(fifth.closeCode, null);
});

test('/metrics counts open WebSockets: up while held, down again once closed', async (t) => {
  const app = await build(t);
  const patient = await createPatient(app);
  const gauge = async () => Number(/telecare_websocket_connections (\d+)/.exec((await scrape(app)).text)![1]);
  const before = await gauge();
  const sockets = await Promise.all([connect(app, patient.token), connect(app, patient.token)]);
  assert.equal(await gauge(), before + 2);
  await Promise.all(
    sockets.map(
      ({ ws }) =>
        new Promise((resolve) => {
          ws.once('close', resolve);
          ws.close();
        }),
    ),
  );
  for (let i = 0; i < 50 && (await gauge()) !== before; i++) await sleep(20);
  assert.equal(await gauge(), before);
});

test('the slots route has its own, tighter per-address budget (SLOTS_RATE_LIMIT_MAX); other routes keep theirs', async (t) => {
  assert.equal(loadConfig({}).slotsRateLimitMax, 120);
  assert.equal(loadConfig({ SLOTS_RATE_LIMIT_MAX: '30' }).slotsRateLimitMax, 30);
  const app = await build(t, { rateLimitMax: 1000, slotsRateLimitMax: 3, rateLimitWindowSeconds: 60 });
  const doctor = '00000000-0000-4000-8000-000000000000';
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) statuses.push((await app.request('GET', `/api/v1/doctors/${doctor}/slots`)).status);
  assert.deepEqual(statuses, [404, 404, 404]);
  const limited = await app.request('GET', `/api/v1/doctors/${doctor}/slots`);
  expectProblem(limited, 429, 'RATE_LIMITED');
  assert.ok(Number(limited.headers.get('retry-after')) > 0);
  assert.equal((await app.request('GET', '/api/v1/doctors')).status, 200);
});

// ---------- slow clients ----------

test('timeouts and the connection cap are configurable, with bounded defaults', () => {
  const def = loadConfig({});
  assert.deepEqual(
    [def.requestTimeoutMs, def.headersTimeoutMs, def.keepAliveTimeoutMs, def.maxConnections],
    [30_000, 10_000, 10_000, 1024],
  );
  const set = loadConfig({ REQUEST_TIMEOUT_MS: '5000', HEADERS_TIMEOUT_MS: '2000', KEEP_ALIVE_TIMEOUT_MS: '3000', MAX_CONNECTIONS: '50' });
  assert.deepEqual([set.requestTimeoutMs, set.headersTimeoutMs, set.keepAliveTimeoutMs, set.maxConnections], [5000, 2000, 3000, 50]);
  assert.throws(() => loadConfig({ MAX_CONNECTIONS: '0' }), /MAX_CONNECTIONS/);
});

/** A raw TCP client; resolves `closed` when the server hangs up, with what it answered. */
async function rawClient(app: TestApp) {
  const { connect } = await import('node:net');
  const port = Number(new URL(app.url).port);
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (d) => {
    received += d.toString('latin1');
  });
  socket.on('error', () => undefined);
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(received)));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, closed };
}

test('a client trickling a body is cut off after REQUEST_TIMEOUT_MS; one trickling headers after HEADERS_TIMEOUT_MS', async (t) => {
  const app = await build(t, { requestTimeoutMs: 1500, headersTimeoutMs: 1000 });
  const body = await rawClient(app);
  body.socket.write('POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{');
  // One byte every 200 ms would take 5.5 hours to finish the body.
  const trickle = setInterval(() => {
    if (!body.socket.destroyed) body.socket.write(' ');
  }, 200);
  const headers = await rawClient(app);
  headers.socket.write('GET /health/live HTTP/1.1\r\n');
  const trickleHeaders = setInterval(() => {
    if (!headers.socket.destroyed) headers.socket.write('X-Slow: 1\r\n');
  }, 200);
  const deadline = setTimeout(() => {
    body.socket.destroy();
    headers.socket.destroy();
  }, 60_000);
  try {
    const [bodyAnswer, headersAnswer] = await Promise.all([body.closed, headers.closed]);
    assert.match(bodyAnswer, /^HTTP\/1\.1 408/, 'the server cut the body off (not the test deadline)');
    assert.match(headersAnswer, /^HTTP\/1\.1 408/);
  } finally {
    clearInterval(trickle);
    clearInterval(trickleHeaders);
    clearTimeout(deadline);
  }
  assert.equal((await app.request('GET', '/health/live')).status, 200);
});

test('connections over MAX_CONNECTIONS are refused at once; the server serves again when one closes', async (t) => {
  const app = await build(t, { maxConnections: 3 });
  const held = [await rawClient(app), await rawClient(app), await rawClient(app)];
  const extra = await rawClient(app);
  // The fourth is closed by the server without an answer, while the three stay open.
  assert.equal(await extra.closed, '');
  assert.ok(held.every((c) => !c.socket.destroyed));
  held[0].socket.destroy();
  await held[0].closed;
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${app.url}/health/live`, { headers: { connection: 'close' } }).catch(() => null);
    if (res?.status === 200) break;
    await sleep(50);
  }
  assert.equal((await fetch(`${app.url}/health/live`, { headers: { connection: 'close' } })).status, 200);
  for (const c of held.slice(1)) c.socket.destroy();
});
