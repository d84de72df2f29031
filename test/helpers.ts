// Test harness: a real server on loopback, a fresh real database per app (embedded PGlite, or a new
// database on TEST_DATABASE_URL), and a real SMTP server on loopback from which tests read mails.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import pino from 'pino';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { buildApp, type TelecareApp } from '../src/app.ts';
import { loadConfig, type Config } from '../src/platform/config.ts';
import { openAndMigrate, type Database } from '../src/platform/db/index.ts';
import { createScratchDatabase } from '../src/platform/db/scratch.ts';
import { pgliteTemplate } from './fixtures/pglite-template.ts';
import { createAdmin } from '../src/modules/auth/service.ts';
import { Passwords } from '../src/platform/passwords.ts';

// One secret per test process, so a second instance on the same database accepts the first one's tokens.
const TEST_JWT_SECRET = randomBytes(32).toString('hex');

export const ENGINE = process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite';

// ---------- SMTP ----------

export interface Mail {
  to: string;
  subject: string;
  text: string;
  messageId: string;
  /** Non-text parts, e.g. a text/calendar invitation, decoded as UTF-8. */
  attachments: { filename: string; contentType: string; content: string }[];
}

class Mailbox {
  readonly mails: Mail[] = [];
  server: SMTPServer | null = null;
  port = 0;
  /** While false the server refuses every message (simulates SMTP being down). */
  accepting = true;

  async start(): Promise<void> {
    if (this.server) return;
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, _session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', async () => {
          if (!this.accepting) return callback(new Error('mailbox unavailable'));
          const parsed = await simpleParser(Buffer.concat(chunks));
          const to = Array.isArray(parsed.to) ? parsed.to[0] : parsed.to;
          this.mails.push({
            to: (to?.value[0]?.address ?? '').toLowerCase(),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            messageId: parsed.messageId ?? '',
            attachments: parsed.attachments.map((a) => ({
              filename: a.filename ?? '',
              contentType: a.contentType,
              content: a.content.toString('utf8'),
            })),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.server.address() as { port: number }).port;
    // The test file's process must be able to exit while the mailbox still listens.
    this.server.server.unref();
  }

  /** Waits for a mail to this address whose subject matches; returns the newest such mail. */
  async waitFor(to: string, subject: RegExp, timeoutMs = 60_000): Promise<Mail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.mails.filter((m) => m.to === to.toLowerCase() && subject.test(m.subject));
      if (found.length) return found[found.length - 1];
      if (Date.now() > deadline) throw new Error(`no mail to ${to} matching ${subject} within ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  count(to: string, subject?: RegExp): number {
    return this.mails.filter((m) => m.to === to.toLowerCase() && (!subject || subject.test(m.subject))).length;
  }
}

export const mailbox = new Mailbox();

export function tokenFromMail(mail: Mail, path: 'verify-email' | 'reset-password'): string {
  const m = new RegExp(`/${path}\\?token=([A-Za-z0-9_-]+)`).exec(mail.text);
  if (!m) throw new Error(`mail has no ${path} link: ${mail.text}`);
  return m[1];
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------- databases ----------

/** A fresh, migrated database: PGlite in memory, or a new database on TEST_DATABASE_URL. */
export async function freshDatabase(): Promise<{ database: Database; url: string | null; drop: () => Promise<void> }> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    const database = await openAndMigrate({ databaseUrl: null, pgliteDir: 'memory://', pgliteTemplate: await pgliteTemplate() });
    return { database, url: null, drop: async () => undefined };
  }
  const { url, drop } = await createScratchDatabase(adminUrl, `tc_${process.pid}`);
  const database = await openAndMigrate({ databaseUrl: url, pgliteDir: '' });
  return { database, url, drop };
}

// ---------- the app ----------

export interface TestApp {
  app: TelecareApp;
  url: string;
  config: Config;
  database: Database;
  /** Connection string of this app's database (server engine only), e.g. for a second instance. */
  databaseUrl: string | null;
  request: (method: string, path: string, opts?: RequestOptions) => Promise<TestResponse>;
  close: () => Promise<void>;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  /** Sent as is (for malformed JSON tests). */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  const dataDir = mkdtempSync(join(tmpdir(), 'telecare-test-'));
  const base = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  return {
    ...base,
    port: 0,
    jwtSecret: TEST_JWT_SECRET,
    smtpUrl: `smtp://127.0.0.1:${mailbox.port}`,
    publicUrl: 'http://telecare.test',
    // Cheap hashing keeps the suite fast; production uses the configured OWASP baseline.
    argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
    outboxPollMs: 50,
    // A background VACUUM would only compete with the test's own queries on a database that lives seconds.
    embeddedVacuumIntervalMinutes: 0,
    rateLimitMax: 0,
    // Suites register and log in many people from one loopback address; the tests of this limit set it.
    authRateLimitMax: 0,
    // The test's client (fetch) shares this process's event loop, which PGlite's seeding and a loaded
    // machine can stall for seconds: a server keep-alive timer that expires during a stall closes a pooled
    // socket just as fetch writes the next request on it (ECONNRESET). Idle sockets outlive any test here.
    keepAliveTimeoutMs: 600_000,
    ...overrides,
  };
}

export async function request(baseUrl: string, method: string, path: string, opts: RequestOptions = {}): Promise<TestResponse> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.rawBody !== undefined) {
    body = opts.rawBody;
    headers['content-type'] ??= 'application/json';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(baseUrl + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = undefined;
  if (text && /json/.test(res.headers.get('content-type') ?? '')) parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/**
 * An app listening on loopback with its own fresh database; closes itself when the test ends.
 * Pass `database` to start a second instance on the same database (server engine).
 */
export async function build(
  t?: TestContext,
  overrides: Partial<Config> = {},
  shared?: { database?: Database; databaseUrl?: string },
): Promise<TestApp> {
  await mailbox.start();
  let fresh: Awaited<ReturnType<typeof freshDatabase>> | null = null;
  let database: Database;
  let databaseUrl: string | null;
  if (shared?.databaseUrl) {
    database = await openAndMigrate({ databaseUrl: shared.databaseUrl, pgliteDir: '' });
    databaseUrl = shared.databaseUrl;
  } else if (shared?.database) {
    database = shared.database;
    databaseUrl = null;
  } else {
    fresh = await freshDatabase();
    database = fresh.database;
    databaseUrl = fresh.url;
  }
  const config = testConfig({ databaseUrl, ...overrides });
  const app = await buildApp(config, { database, logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await app.close();
    if (!shared?.database) await database.close();
    if (fresh) await fresh.drop();
    rmSync(config.dataDir, { recursive: true, force: true });
  };
  t?.after(close);
  return { app, url, config, database, databaseUrl, request: (m, p, o) => request(url, m, p, o), close };
}

// ---------- people ----------

let seq = 0;
export function unique(prefix: string): string {
  seq += 1;
  return `${prefix}${process.pid}x${seq}x${randomBytes(2).toString('hex')}`.toLowerCase().slice(0, 32);
}

export interface Person {
  id: string;
  username: string;
  email: string;
  password: string;
  token: string;
  refreshToken: string;
  body: any;
}

export const PASSWORD = 'correct horse battery';

export function patientBody(overrides: Record<string, unknown> = {}) {
  const username = unique('pat');
  return {
    username,
    email: `${username}@example.test`,
    password: PASSWORD,
    firstname: 'Pat',
    lastname: 'Ient',
    dateOfBirth: '1985-06-15',
    gender: 'female',
    medicalHistory: 'Penicillin allergy',
    ...overrides,
  };
}

export function doctorBody(overrides: Record<string, unknown> = {}) {
  const username = unique('doc');
  return {
    username,
    email: `${username}@example.test`,
    password: PASSWORD,
    firstname: 'Doc',
    lastname: 'Tor',
    specialization: 'Cardiology',
    licenseNumber: `LIC-${username}`,
    bio: 'Heart specialist',
    timezone: 'Europe/Berlin',
    ...overrides,
  };
}

async function login(t: TestApp, login: string, password: string) {
  const res = await t.request('POST', '/api/v1/auth/login', { body: { login, password } });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
  return res.body as { accessToken: string; refreshToken: string; user: any };
}

async function verifyByMail(t: TestApp, email: string) {
  const mail = await mailbox.waitFor(email, /verif/i);
  const res = await t.request('POST', '/api/v1/auth/verify-email', { body: { token: tokenFromMail(mail, 'verify-email') } });
  if (res.status !== 200) throw new Error(`verify failed: ${res.status} ${res.text}`);
}

/** A patient, registered over HTTP, email verified through the real mail unless `verified: false`. */
export async function createPatient(t: TestApp, opts: { verified?: boolean; body?: Record<string, unknown> } = {}): Promise<Person> {
  const body = patientBody(opts.body);
  const res = await t.request('POST', '/api/v1/auth/register/patient', { body });
  if (res.status !== 201) throw new Error(`register patient failed: ${res.status} ${res.text}`);
  if (opts.verified !== false) await verifyByMail(t, body.email);
  const tokens = await login(t, body.username, body.password);
  return {
    id: res.body.user.id,
    username: body.username,
    email: body.email,
    password: body.password,
    token: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    body,
  };
}

/**
 * A doctor, registered over HTTP with a verified email. `credentials: 'VERIFIED'` (default) has an
 * admin verify them through the admin API when it exists, else directly in the database.
 */
export async function createDoctor(
  t: TestApp,
  opts: { verified?: boolean; credentials?: 'PENDING' | 'VERIFIED' | 'REJECTED'; body?: Record<string, unknown> } = {},
): Promise<Person> {
  const body = doctorBody(opts.body);
  const res = await t.request('POST', '/api/v1/auth/register/doctor', { body });
  if (res.status !== 201) throw new Error(`register doctor failed: ${res.status} ${res.text}`);
  if (opts.verified !== false) await verifyByMail(t, body.email);
  const status = opts.credentials ?? 'VERIFIED';
  if (status !== 'PENDING') await setDoctorVerification(t, res.body.user.id, status);
  const tokens = await login(t, body.username, body.password);
  return {
    id: res.body.user.id,
    username: body.username,
    email: body.email,
    password: body.password,
    token: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    body,
  };
}

const adminCache = new WeakMap<TestApp, Person>();
/** An admin made the way production makes the first one (the CLI's service), then logged in. */
export async function createAdminUser(t: TestApp): Promise<Person> {
  const username = unique('adm');
  const email = `${username}@example.test`;
  const user = await createAdmin({ db: t.database.db, passwords: new Passwords(t.config.argon2) }, { username, email, password: PASSWORD });
  const tokens = await login(t, username, PASSWORD);
  return { id: user.id, username, email, password: PASSWORD, token: tokens.accessToken, refreshToken: tokens.refreshToken, body: {} };
}

async function getAdmin(t: TestApp): Promise<Person> {
  let a = adminCache.get(t);
  if (!a) {
    a = await createAdminUser(t);
    adminCache.set(t, a);
  }
  return a;
}

export async function setDoctorVerification(t: TestApp, doctorId: string, status: 'VERIFIED' | 'REJECTED'): Promise<void> {
  const admin = await getAdmin(t);
  const res = await t.request('POST', `/api/v1/admin/doctors/${doctorId}/verification`, { token: admin.token, body: { status } });
  if (res.status === 200) return;
  if (res.status !== 404 || res.body?.detail !== 'No such route') throw new Error(`verification failed: ${res.status} ${res.text}`);
  // The admin API is not mounted (yet): set it in the database.
  await t.database.rows(
    (await import('drizzle-orm')).sql`UPDATE doctors SET verification_status = ${status}, verified_at = now() WHERE id = ${doctorId}`,
  );
}

/** Asserts a problem+json answer with the given status and code. */
export function expectProblem(res: TestResponse, status: number, code: string): void {
  if (res.status !== status || res.body?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${res.status} ${res.text}`);
  }
  if (!/application\/problem\+json/.test(res.headers.get('content-type') ?? '')) {
    throw new Error(`expected application/problem+json, got ${res.headers.get('content-type')}`);
  }
}

/**
 * Test fixture: an appointment written straight into the database in any status, for tests of other
 * features (prescriptions, messages) that need a care relationship without going through booking.
 */
export async function appointmentFixture(
  t: TestApp,
  opts: {
    doctorId: string;
    patientId: string;
    status: 'PENDING' | 'CONFIRMED' | 'CANCELLED' | 'COMPLETED' | 'NO_SHOW';
    startsAt?: Date;
    minutes?: number;
  },
): Promise<string> {
  const { sql } = await import('drizzle-orm');
  const startsAt = opts.startsAt ?? new Date(Date.now() + (1 + Math.floor(Math.random() * 1e6)) * 3_600_000);
  const endsAt = new Date(startsAt.getTime() + (opts.minutes ?? 30) * 60_000);
  const [row] = await t.database.rows<{ id: string }>(sql`
    INSERT INTO appointments (patient_id, doctor_id, starts_at, ends_at, status)
    VALUES (${opts.patientId}, ${opts.doctorId}, ${startsAt.toISOString()}, ${endsAt.toISOString()}, ${opts.status})
    RETURNING id`);
  return row.id;
}

// ---------- WebSocket (real time) ----------

export interface WsClient {
  ws: import('ws').WebSocket;
  /** Every JSON frame received so far. */
  frames: any[];
  /** Resolves with the first frame (already received or future) that matches. */
  next: (match: (frame: any) => boolean, timeoutMs?: number) => Promise<any>;
  /** Resolves with the close code and reason once the socket is closed. */
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens a WebSocket on GET /api/v1/ws without authenticating. */
export async function openWs(t: TestApp): Promise<WsClient> {
  const { WebSocket } = await import('ws');
  const ws = new WebSocket(`${t.url.replace(/^http/, 'ws')}/api/v1/ws`);
  const frames: any[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    try {
      frames.push(JSON.parse(data.toString()));
    } catch {
      frames.push(data.toString());
    }
    for (const w of waiters) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
  const next = (match: (frame: any) => boolean, timeoutMs = 60_000) =>
    new Promise<any>((resolve, reject) => {
      const check = () => {
        const f = frames.find(match);
        if (f === undefined) return false;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(f);
        return true;
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(frames)}`));
      }, timeoutMs);
      // A closed socket delivers nothing more: fail at once, naming the close code, instead of at the deadline.
      void closed.then(({ code, reason }) => {
        if (!waiters.has(check) || check()) return;
        waiters.delete(check);
        clearTimeout(timer);
        reject(new Error(`socket closed (${code} ${reason}) before a matching frame; got ${JSON.stringify(frames)}`));
      });
      if (!check()) waiters.add(check);
    });
  return { ws, frames, next, closed };
}

/** Opens a WebSocket, authenticates with the access token and waits for the server's `ready` frame. */
export async function connectWs(t: TestApp, token: string): Promise<WsClient> {
  const c = await openWs(t);
  c.ws.send(JSON.stringify({ type: 'auth', accessToken: token }));
  await c.next((f) => f.type === 'ready');
  return c;
}
