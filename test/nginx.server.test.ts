// The shipped front proxy (deploy/nginx/telecare.conf) run by Debian's nginx in front of two instances on one
// PostgreSQL database, as a clinic deploys it: TLS with a certificate made here by openssl, HTTP/2, the
// WebSocket upgrade, X-Forwarded-For trusted from the proxy only, limits, cached hashed assets, security
// headers once. Only the ports, paths and instances of the file are substituted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as http2Connect } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { buildApp, type TelecareApp } from '../src/app.ts';
import pino from 'pino';
import { build, testConfig, type TestApp, type TestResponse } from './fixtures/app.ts';
import { connectWs } from './fixtures/ws.ts';
import { care } from './fixtures/care.ts';
import { book, slots, workingDoctor } from './fixtures/booking.ts';
import { createPatient, expectProblem } from './helpers.ts';
import { freePort, ROOT, run } from './fixtures/service.ts';
import { PORTAL_DIST } from '../src/platform/static.ts';

// The proxy's certificate is made here and trusted by nobody: this test's own clients skip verification.
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

/** deploy/nginx/telecare.conf with this test's ports, certificate, cache folder and instances. */
function proxyConfig(dir: string, ports: { https: number; http: number; a: number; b: number }): string {
  let conf = readFileSync(join(ROOT, 'deploy/nginx/telecare.conf'), 'utf8');
  const replace = (from: RegExp, to: string) => {
    assert.match(conf, from, `deploy/nginx/telecare.conf still has ${from}`);
    conf = conf.replace(from, to);
  };
  replace(/server 127\.0\.0\.1:3000 /, `server 127.0.0.1:${ports.a} `);
  replace(/server 127\.0\.0\.1:3001 /, `server 127.0.0.1:${ports.b} `);
  replace(/listen 443 ssl http2;/, `listen 127.0.0.1:${ports.https} ssl http2;`);
  replace(/\n\s*listen \[::\]:443 ssl http2;/, '');
  replace(/listen 80;/, `listen 127.0.0.1:${ports.http};`);
  replace(/\n\s*listen \[::\]:80;/, '');
  replace(/\/etc\/letsencrypt\/live\/clinic\.example\.org\/fullchain\.pem/, join(dir, 'cert.pem'));
  replace(/\/etc\/letsencrypt\/live\/clinic\.example\.org\/privkey\.pem/, join(dir, 'key.pem'));
  replace(/\/var\/cache\/nginx\/telecare/, join(dir, 'cache'));
  const tmp = (name: string) => `${name} ${join(dir, name.replace(/_path$/, ''))};`;
  return `
daemon off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  access_log ${join(dir, 'access.log')};
  ${tmp('client_body_temp_path')} ${tmp('proxy_temp_path')} ${tmp('fastcgi_temp_path')} ${tmp('uwsgi_temp_path')} ${tmp('scgi_temp_path')}
${conf}
}`;
}

/** One instance of the API on a fixed port (so that it can be restarted where nginx expects it). */
async function instance(databaseUrl: string, port: number): Promise<TelecareApp> {
  const config = testConfig({ databaseUrl, trustProxy: ['127.0.0.1'], loginMaxFailuresPerAccountAddress: 3 });
  const app = await buildApp(config, { logger: pino({ level: 'silent' }) });
  await app.listen({ port, host: '127.0.0.1' });
  return app;
}

/** An HTTPS request to the proxy from a chosen loopback address (the client address the instances must see). */
function from(
  address: string,
  base: string,
  method: string,
  path: string,
  opts: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<TestResponse & { raw: Record<string, string | string[] | undefined> }> {
  const u = new URL(base + path);
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (body) headers['content-type'] = 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method,
        headers,
        localAddress: address,
        rejectUnauthorized: false,
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
          const json = /json/.test(res.headers['content-type'] ?? '') && text ? JSON.parse(text) : undefined;
          resolve({ status: res.statusCode ?? 0, headers: h, body: json, text, raw: res.headers });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

test(
  'nginx in front of two instances: TLS, HTTP/2, booking, live messages across instances, a WebSocket through a restart, client addresses',
  { skip: !NGINX && 'nginx is not installed (apt-get install nginx)', timeout: 600_000 },
  async (t) => {
    const owner = await build(t);
    const dir = mkdtempSync(join(tmpdir(), 'telecare-nginx-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    // nginx's workers run as an unprivileged user: they must reach the cache (mkdtemp made the folder 0700).
    chmodSync(dir, 0o755);
    mkdirSync(join(dir, 'cache'), { mode: 0o777 });
    chmodSync(join(dir, 'cache'), 0o777);
    const cert = await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]);
    assert.equal(cert.status, 0, cert.stderr);

    const ports = { https: await freePort(), http: await freePort(), a: await freePort(), b: await freePort() };
    const instances: Record<'a' | 'b', TelecareApp | null> = {
      a: await instance(owner.databaseUrl!, ports.a),
      b: await instance(owner.databaseUrl!, ports.b),
    };
    t.after(async () => {
      for (const app of Object.values(instances)) await app?.close();
    });
    writeFileSync(join(dir, 'nginx.conf'), proxyConfig(dir, ports));
    const check = await run(NGINX!, ['-t', '-c', join(dir, 'nginx.conf')]);
    assert.equal(check.status, 0, check.stderr);
    const { spawn } = await import('node:child_process');
    const nginx = spawn(NGINX!, ['-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    t.after(() => {
      nginx.kill('SIGQUIT');
    });
    const base = `https://127.0.0.1:${ports.https}`;
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${base}/health/ready`)).ok) break;
      } catch {
        /* not listening yet */
      }
      assert.ok(i < 300, `nginx did not start: ${existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : ''}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // The fixtures go through the proxy; their database look-ups use the shared database.
    const proxy: TestApp = { ...owner, url: base, request: (m, p, o) => from('127.0.0.1', base, m, p, o) };

    // Plain HTTP only redirects to HTTPS; HTTP/2 is offered over TLS.
    const plain = await from('127.0.0.1', `http://127.0.0.1:${ports.http}`, 'GET', '/api/v1/doctors');
    assert.equal(plain.status, 301);
    assert.match(plain.headers.get('location') ?? '', /^https:\/\//);
    const h2 = http2Connect(base, { rejectUnauthorized: false });
    t.after(() => h2.close());
    const h2Status = await new Promise<number>((resolve, reject) => {
      const s = h2.request({ ':path': '/health/ready' });
      s.on('response', (h) => resolve(Number(h[':status'])));
      s.on('error', reject);
      s.resume();
    });
    assert.equal(h2Status, 200);
    assert.equal(h2.alpnProtocol, 'h2');

    // Security headers: the server's, once each, through the proxy.
    const doctors = await from('127.0.0.1', base, 'GET', '/api/v1/doctors');
    assert.equal(doctors.status, 200);
    for (const name of [
      'content-security-policy',
      'strict-transport-security',
      'x-content-type-options',
      'x-frame-options',
      'cache-control',
    ]) {
      const v = doctors.raw[name];
      assert.ok(typeof v === 'string' && !v.includes(', ' + v.split(',')[0]), `${name} once: ${String(v)}`);
    }
    assert.equal(doctors.raw['server'], 'nginx', 'no version in the Server header');

    // Hashed portal assets: served once by an instance, then from nginx's cache.
    const assets = existsSync(join(PORTAL_DIST, 'assets')) ? readdirSync(join(PORTAL_DIST, 'assets')).filter((f) => f.endsWith('.js')) : [];
    if (assets.length) {
      const first = await from('127.0.0.1', base, 'GET', `/assets/${assets[0]}`);
      const second = await from('127.0.0.1', base, 'GET', `/assets/${assets[0]}`);
      assert.equal(first.status, 200);
      assert.equal(second.headers.get('x-cache-status'), 'HIT');
      assert.match(second.headers.get('cache-control') ?? '', /immutable/);
    }

    // The body limit matches the server's: nginx refuses a larger body itself.
    const big = await from('127.0.0.1', base, 'POST', '/api/v1/auth/login', { body: { login: 'x'.repeat(300 * 1024), password: 'y' } });
    assert.equal(big.status, 413);

    // A booking through the proxy.
    const doctor = await workingDoctor(proxy, {
      timezone: 'UTC',
      weekly: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '00:00', end: '23:30' })),
    });
    const patient = await createPatient(proxy);
    const day = new Date(Date.now() + 2 * 86_400_000).toISOString();
    const [startsAt] = await slots(proxy, doctor.id, day, new Date(Date.now() + 3 * 86_400_000).toISOString());
    const booked = await book(proxy, patient, doctor.id, startsAt!, { reason: 'through the proxy' });
    assert.equal(booked.status, 201, booked.text);

    // Live messages: the patient's WebSocket goes through nginx to one instance; a message is sent on each
    // instance directly, so one of them crosses from the other instance.
    const pair = await care(proxy, 'CONFIRMED');
    const ws = await connectWs(proxy, pair.patient.token);
    let n = 0;
    const sendAndReceive = async (via: string) => {
      const text = `hello ${++n}`;
      const sent = await from('127.0.0.1', via, 'POST', `/api/v1/conversations/${pair.patient.id}/messages`, {
        token: pair.doctor.token,
        body: { body: text },
      });
      assert.equal(sent.status, 201, sent.text);
      return sent;
    };
    for (const via of [`http://127.0.0.1:${ports.a}`, `http://127.0.0.1:${ports.b}`]) {
      const sent = await sendAndReceive(via);
      await ws.next((f) => f.type === 'message.created' && f.message.id === sent.body.id);
    }

    // Restart each instance in turn: the WebSocket on it is closed with 1001 (go elsewhere), the client
    // reconnects through nginx, and live messages keep arriving.
    let socket = ws;
    for (const name of ['a', 'b'] as const) {
      await instances[name]!.close();
      instances[name] = null;
      const closed = await Promise.race([socket.closed, new Promise<null>((r) => setTimeout(() => r(null), 1000))]);
      if (closed) {
        assert.equal(closed.code, 1001);
        socket = await connectWs(proxy, pair.patient.token);
      }
      // Sent on the instance that stays up: a POST nginx had already written to the stopping instance is
      // never replayed (hence docs/deployment.md's "mark it down first"); what is tested here is the socket.
      const sent = await sendAndReceive(`http://127.0.0.1:${ports[name === 'a' ? 'b' : 'a']}`);
      await socket.next((f) => f.type === 'message.created' && f.message.id === sent.body.id);
      instances[name] = await instance(owner.databaseUrl!, ports[name]);
    }
    socket.ws.close();

    // The client address: the one nginx saw (here 127.0.0.2), whatever X-Forwarded-For the client sent, in the
    // login throttle (per account and address, shared by the instances) and in the audit trail.
    const victim = await createPatient(proxy);
    const forged = { 'x-forwarded-for': '203.0.113.9' };
    for (let i = 0; i < 3; i++) {
      const r = await from('127.0.0.2', base, 'POST', '/api/v1/auth/login', {
        body: { login: victim.username, password: 'wrong password!' },
        headers: forged,
      });
      expectProblem(r, 401, 'INVALID_CREDENTIALS');
    }
    expectProblem(
      await from('127.0.0.2', base, 'POST', '/api/v1/auth/login', { body: { login: victim.username, password: victim.password } }),
      429,
      'RATE_LIMITED',
    );
    // Another address is not locked out: the proxy's own address was not the one counted.
    assert.equal(
      (await from('127.0.0.3', base, 'POST', '/api/v1/auth/login', { body: { login: victim.username, password: victim.password } })).status,
      200,
    );
    const ips = await owner.database.rows<{ ip: string; outcome: string }>(
      sql`SELECT ip, outcome FROM audit_events WHERE action = 'auth.login' AND actor_id = ${victim.id} ORDER BY seq`,
    );
    assert.deepEqual(
      ips.map((r) => r.ip).filter((ip) => ip !== '127.0.0.1'),
      ['127.0.0.2', '127.0.0.2', '127.0.0.2', '127.0.0.2', '127.0.0.3'],
    );
    // Straight to an instance, a client's X-Forwarded-For is ignored: only the proxy's is trusted.
    await from('127.0.0.4', `http://127.0.0.1:${ports.a}`, 'POST', '/api/v1/auth/login', {
      body: { login: victim.username, password: 'wrong password!' },
      headers: forged,
    });
    const [last] = await owner.database.rows<{ ip: string }>(
      sql`SELECT ip FROM audit_events WHERE action = 'auth.login' AND actor_id = ${victim.id} ORDER BY seq DESC LIMIT 1`,
    );
    assert.equal(last!.ip, '127.0.0.4');
  },
);
