// Resource limits: body size, pagination, the general per-address rate limit, /metrics, and the
// WebSocket frame and per-user connection caps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { build, createPatient, expectProblem, PASSWORD, patientBody, sleep, type TestApp } from './helpers.ts';
import { loadConfig } from '../src/platform/config.ts';

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
  assert.equal((await app.request('GET', '/metrics')).status, 200);
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
  const res = await app.request('GET', '/metrics');
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

test('/metrics requires the bearer token when METRICS_TOKEN is set', async (t) => {
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
  const gauge = async () => Number(/telecare_websocket_connections (\d+)/.exec((await app.request('GET', '/metrics')).text)![1]);
  const before = await gauge();
  const sockets = await Promise.all([connect(app, patient.token), connect(app, patient.token)]);
  assert.equal(await gauge(), before + 2);
  await Promise.all(sockets.map(({ ws }) => new Promise((resolve) => { ws.once('close', resolve); ws.close(); })));
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
