import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { isIP } from 'node:net';
import { Type, type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | null;
  publicUrl: string;
  smtpUrl: string | null;
  mailFrom: string;
  logLevel: string;
  nodeEnv: string;
  jwtSecret: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
  /** Failed logins per account over all addresses before 429 for everyone (the higher ceiling). */
  loginMaxFailuresPerAccount: number;
  loginMaxFailuresPerAddress: number;
  loginWindowSeconds: number;
  /** Failed logins per (account, client address) before that address gets 429 for that account. */
  loginMaxFailuresPerAccountAddress: number;
  argon2: { memoryCost: number; timeCost: number; parallelism: number };
  /** Password hashes computed at once; the rest queue, so hashing never takes every core. */
  hashConcurrency: number;
  /** Password hashes allowed to wait behind those; one more answers 503 UNAVAILABLE with Retry-After. */
  hashQueueMax: number;
  /** Longest expected wait in the hashing queue before shedding (the count alone is no time bound under load). */
  hashQueueMaxWaitMs: number;
  /** Per-address limit on the anonymous routes that cost a hash (register, login, reset-password); 0 turns it off. */
  authRateLimitMax: number;
  authRateLimitWindowSeconds: number;
  bodyLimitBytes: number;
  /** General per-address API rate limit (requests per window); 0 turns it off. */
  rateLimitMax: number;
  rateLimitWindowSeconds: number;
  /** Per-address budget of GET /doctors/{id}/slots per rate-limit window (anonymous and costlier than most reads). */
  slotsRateLimitMax: number;
  /** Days a COMPLETED or NO_SHOW appointment keeps the doctor's access to the patient (contract: care relationship). */
  careRelationshipDays: number;
  /** Outbox worker poll interval; tests shorten it. */
  outboxPollMs: number;
  /** Embedded engine only: minutes between VACUUM ANALYZE runs (it has no autovacuum); 0 turns it off. */
  embeddedVacuumIntervalMinutes: number;
  /** Cap of the outbox's exponential retry backoff after failed deliveries. */
  outboxMaxBackoffSeconds: number;
  /** When set, GET /metrics is also served on the API port and requires `Authorization: Bearer <token>`. */
  metricsToken: string | null;
  /** The metrics listener (GET /metrics, no authentication): port (0 = any free one) and address; null port turns it off. */
  metricsPort: number | null;
  metricsHost: string;
  /** Slow clients: whole request, headers, idle keep-alive (ms), and open connections per instance. */
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
  /**
   * Whose `X-Forwarded-For` gives the client address: nobody (false), every peer (true: only when nothing but
   * the proxy can reach the port), or the listed proxy addresses/CIDRs (anyone else's header is ignored).
   */
  trustProxy: boolean | string[];
  /** Benchmark-only switch: skips audit inserts on reads. Never set in production. */
  benchSkipAudit: boolean;
  /** WebSocket: time allowed for the auth frame, ping interval, largest client frame, sockets per user. */
  wsAuthTimeoutMs: number;
  wsHeartbeatMs: number;
  wsMaxPayloadBytes: number;
  wsMaxConnectionsPerUser: number;
  /** Open (PENDING/CONFIRMED, future) appointments a patient may hold in all, and with one doctor. */
  bookingMaxOpen: number;
  bookingMaxOpenPerDoctor: number;
  /** A patient's cancellation less than this many hours before the start counts as late on the doctor's agenda. */
  lateCancellationHours: number;
  /** Reminder mails go this many minutes before an appointment's start (both parties). */
  reminderOffsetsMinutes: number[];
  /** How often each instance looks for due reminders. */
  reminderPollMs: number;
  /** A message unread this long is announced to its recipient by one digest mail (never its text). */
  messageDigestDelayMinutes: number;
  /** Waitlist: how long a freed slot is held for the patient it is offered to. */
  waitlistHoldMinutes: number;
  /** Waitlist: lists a patient may wait on at once (live entries), in all and with one doctor. */
  waitlistMaxEntries: number;
  waitlistMaxEntriesPerDoctor: number;
  /** Waitlist: longest pause between passes that expire offers and send their events (also woken by changes). */
  waitlistPollMs: number;
  /** Messages a user may send per window (every instance counts the same rows); over it 429 RATE_LIMITED. */
  messageRateMax: number;
  messageRateWindowSeconds: number;
  /** Attachments: largest upload (bytes, also after re-encoding), bytes one account may keep, and image pixel limit. */
  attachmentMaxBytes: number;
  attachmentQuotaBytes: number;
  attachmentMaxPixels: number;
  /** Uploads no message carries are removed this long after they were made. */
  attachmentOrphanTtlMinutes: number;
  /** Exports a user may start per hour; besides, only one of theirs runs at a time. */
  exportsPerHour: number;
  /** Years a closed account's record is kept (retain_until = closing + this); local law decides (docs/decisions.md). */
  recordRetentionYears: number;
  /** Video visits: joinable from this long before startsAt until this long after endsAt. */
  visitOpensBeforeMinutes: number;
  visitClosesAfterMinutes: number;
  /** STUN/TURN URLs handed to visit participants; TURN ones get credentials from turnSecret. */
  iceServers: string[];
  /** coturn's static-auth-secret (use-auth-secret): TURN credentials are an HMAC of it. */
  turnSecret: string | null;
  /** TURN credentials expire this long after they are handed out, and never after the visit closes. */
  turnCredentialTtlSeconds: number;
  /**
   * The RTCPeerConnection `iceTransportPolicy` handed to visit participants: `relay` sends every call
   * through the TURN server, so neither participant learns the other's IP addresses (at the TURN server's cost).
   */
  visitIceTransportPolicy: 'all' | 'relay';
  /** Visit presence: each instance refreshes its participants this often; 3 missed beats mean gone. */
  visitHeartbeatMs: number;
  /**
   * The waiting room: a patient who joins waits in the lobby until the doctor admits them (once per visit);
   * until then no signal reaches or leaves them. Off: both participants meet as soon as both are in.
   */
  visitWaitingRoom: boolean;
  /**
   * Server engine: the role that owns the schema, for migrations (a separate role from DATABASE_URL's, which
   * then cannot alter the audit trail); null runs them with DATABASE_URL.
   */
  databaseOwnerUrl: string | null;
  /** The audit sequencer's own connection (a role that may only execute audit_chain_batch); null uses DATABASE_URL. */
  auditSequencerUrl: string | null;
  /** What start-up does when DATABASE_URL's role is a superuser or owns the audit trail. */
  databaseRoleCheck: 'warn' | 'refuse' | 'off';
  /** Run the audit sequencer in this instance (any number may; one chains at a time). */
  auditSequencer: boolean;
  /** Pause between sequencer passes: events are chained within about this long after they commit. */
  auditChainIntervalMs: number;
  auditChainBatch: number;
  /** Append-only file for signed audit checkpoints, the Ed25519 key that signs them, and the key that verifies them. */
  auditCheckpointFile: string | null;
  auditCheckpointKeyFile: string | null;
  auditCheckpointPublicKeyFile: string | null;
  /** Minutes between periodic checkpoints (when the file and key are set); 0 turns them off. */
  auditCheckpointIntervalMinutes: number;
  /** A production start with a finding of productionFindings (no SMTP, no https PUBLIC_URL, no TURN): warn, or refuse (strict). */
  startupChecks: 'warn' | 'strict';
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

// Every environment variable, once: its type, range and default. loadConfig reads through this schema, and a test
// holds the README's configuration table to it (every variable listed, every literal default the same).
const int = (def: number, minimum: number, maximum: number) => Type.Integer({ default: def, minimum, maximum });
const optionalInt = (minimum: number, maximum: number) => Type.Integer({ minimum, maximum });
const bool = (def: boolean) => Type.Boolean({ default: def });
const text = (def?: string) => Type.String(def === undefined ? {} : { default: def });
const oneOf = <const V extends readonly [string, ...string[]]>(values: V, def: V[number]) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    { default: def },
  );
const postgresUrl = () => Type.String({ format: 'uri', protocols: ['postgres:', 'postgresql:'] });

export const EnvSchema = Type.Object({
  PORT: int(3000, 0, 65535),
  HOST: text('127.0.0.1'),
  DATA_DIR: text('./data'),
  DATABASE_URL: postgresUrl(),
  /** Default: http://HOST:PORT. */
  PUBLIC_URL: Type.String({ format: 'uri', protocols: ['http:', 'https:'] }),
  SMTP_URL: Type.String({ format: 'uri', protocols: ['smtp:', 'smtps:'] }),
  MAIL_FROM: text('Telecare <no-reply@telecare.localhost>'),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  NODE_ENV: text('development'),
  /** Default: generated once into DATA_DIR/secret.key. */
  JWT_SECRET: Type.String({ minLength: 32 }),
  ACCESS_TOKEN_TTL_SECONDS: int(900, 10, 86400),
  REFRESH_TOKEN_TTL_DAYS: int(30, 1, 365),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: int(50, 1, 100_000),
  LOGIN_MAX_FAILURES_PER_ADDRESS: int(100, 1, 1_000_000),
  LOGIN_WINDOW_SECONDS: int(900, 1, 86400),
  LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS: int(5, 1, 1000),
  // OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane).
  ARGON2_MEMORY_KIB: int(19456, 1024, 4_194_304),
  ARGON2_TIME_COST: int(2, 1, 20),
  ARGON2_PARALLELISM: int(1, 1, 16),
  /** Default: cores − 1, at least 1. */
  HASH_CONCURRENCY: optionalInt(1, 256),
  HASH_QUEUE_MAX: int(32, 0, 100_000),
  HASH_QUEUE_MAX_WAIT_MS: int(2000, 10, 600_000),
  AUTH_RATE_LIMIT_MAX: int(60, 0, 1_000_000),
  AUTH_RATE_LIMIT_WINDOW_SECONDS: int(60, 1, 86400),
  BODY_LIMIT_BYTES: int(256 * 1024, 1024, 64 * 1024 * 1024),
  RATE_LIMIT_MAX: int(3000, 0, 10_000_000),
  RATE_LIMIT_WINDOW_SECONDS: int(60, 1, 86400),
  SLOTS_RATE_LIMIT_MAX: int(120, 1, 10_000_000),
  CARE_RELATIONSHIP_DAYS: int(365, 1, 36_500),
  OUTBOX_POLL_MS: int(2000, 10, 600_000),
  EMBEDDED_VACUUM_INTERVAL_MINUTES: int(360, 0, 100_000),
  OUTBOX_MAX_BACKOFF_SECONDS: int(3600, 1, 86400),
  METRICS_TOKEN: text(),
  /** `off` turns the listener off. */
  METRICS_PORT: Type.Union([Type.Literal('off'), Type.Integer({ minimum: 0, maximum: 65535 })], { default: 9464 }),
  METRICS_HOST: text('127.0.0.1'),
  REQUEST_TIMEOUT_MS: int(30_000, 100, 600_000),
  HEADERS_TIMEOUT_MS: int(10_000, 100, 600_000),
  KEEP_ALIVE_TIMEOUT_MS: int(10_000, 100, 600_000),
  MAX_CONNECTIONS: int(1024, 1, 1_000_000),
  /** A boolean, or the proxies' addresses and CIDRs (checked by trustProxy). */
  TRUST_PROXY: text('false'),
  WS_AUTH_TIMEOUT_MS: int(10_000, 100, 600_000),
  WS_HEARTBEAT_MS: int(30_000, 50, 600_000),
  WS_MAX_PAYLOAD_BYTES: int(16 * 1024, 256, 1024 * 1024),
  WS_MAX_CONNECTIONS_PER_USER: int(10, 1, 1000),
  BOOKING_MAX_OPEN: int(10, 1, 10_000),
  BOOKING_MAX_OPEN_PER_DOCTOR: int(3, 1, 10_000),
  LATE_CANCELLATION_HOURS: int(24, 0, 720),
  /** Comma-separated minutes before the start (checked by minutesList); `0`: no reminders. */
  REMINDER_OFFSETS_MINUTES: text('1440,60'),
  REMINDER_POLL_MS: int(30_000, 10, 3_600_000),
  MESSAGE_DIGEST_DELAY_MINUTES: int(15, 1, 10_080),
  WAITLIST_HOLD_MINUTES: int(15, 1, 1440),
  WAITLIST_POLL_MS: int(1000, 10, 600_000),
  WAITLIST_MAX_ENTRIES: int(5, 1, 10_000),
  WAITLIST_MAX_ENTRIES_PER_DOCTOR: int(1, 1, 10_000),
  MESSAGE_RATE_MAX: int(60, 1, 1_000_000),
  MESSAGE_RATE_WINDOW_SECONDS: int(60, 1, 86400),
  EXPORTS_PER_HOUR: int(6, 1, 10_000),
  RECORD_RETENTION_YEARS: int(10, 1, 100),
  ATTACHMENT_MAX_BYTES: int(15 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
  ATTACHMENT_QUOTA_BYTES: int(500 * 1024 * 1024, 1024, Number.MAX_SAFE_INTEGER),
  ATTACHMENT_MAX_PIXELS: int(40_000_000, 1, 1_000_000_000),
  ATTACHMENT_ORPHAN_TTL_MINUTES: int(1440, 1, 525_600),
  VISIT_OPENS_BEFORE_MINUTES: int(10, 0, 1440),
  VISIT_CLOSES_AFTER_MINUTES: int(30, 0, 1440),
  /** Comma-separated STUN/TURN URLs (checked by iceServers). */
  ICE_SERVERS: text(),
  TURN_SECRET: text(),
  TURN_CREDENTIAL_TTL_SECONDS: int(600, 60, 86400),
  VISIT_ICE_TRANSPORT_POLICY: oneOf(['all', 'relay'], 'all'),
  VISIT_HEARTBEAT_MS: int(15_000, 50, 600_000),
  VISIT_WAITING_ROOM: bool(true),
  DATABASE_OWNER_URL: postgresUrl(),
  AUDIT_SEQUENCER_DATABASE_URL: postgresUrl(),
  DATABASE_ROLE_CHECK: oneOf(['warn', 'refuse', 'off'], 'warn'),
  AUDIT_SEQUENCER: bool(true),
  AUDIT_CHAIN_INTERVAL_MS: int(1000, 10, 600_000),
  AUDIT_CHAIN_BATCH: int(5000, 1, 100_000),
  AUDIT_CHECKPOINT_FILE: text(),
  AUDIT_CHECKPOINT_KEY_FILE: text(),
  AUDIT_CHECKPOINT_PUBLIC_KEY_FILE: text(),
  AUDIT_CHECKPOINT_INTERVAL_MINUTES: int(60, 0, 100_000),
  STARTUP_CHECKS: oneOf(['warn', 'strict'], 'warn'),
});

type Settings = { [K in keyof typeof EnvSchema.properties]: Static<(typeof EnvSchema.properties)[K]> };
type Setting = TSchema & { type?: string; default?: unknown; minimum?: number; maximum?: number; minLength?: number; protocols?: string[] };

/** What a union of literals (and integers) accepts, for the error message: "warn, refuse or off". */
function accepted(schema: Setting): string {
  const options = ((schema as { anyOf?: Setting[] }).anyOf ?? []).map((x) =>
    'const' in x ? String(x.const) : `an integer from ${x.minimum} to ${x.maximum}`,
  );
  return options.length > 1 ? `${options.slice(0, -1).join(', ')} or ${options.at(-1)}` : (options[0] ?? '');
}

/** The raw text as the value the schema expects: integers only from plain digits, booleans from the usual words. */
function coerce(schema: Setting, raw: string): unknown {
  const types = 'anyOf' in schema ? (schema.anyOf as Setting[]).map((x) => x.type) : [schema.type];
  if (types.includes('integer') && /^\d+$/.test(raw)) return Number(raw);
  if (types.includes('boolean')) {
    if (/^(1|true|yes)$/i.test(raw)) return true;
    if (/^(0|false|no)$/i.test(raw)) return false;
  }
  return raw;
}

function describe(name: string, schema: Setting, raw: string): string {
  if ('anyOf' in schema) return `${name} must be ${accepted(schema)}, got "${raw}"`;
  if (schema.type === 'integer') {
    if (!/^\d+$/.test(raw)) return `${name} must be an integer, got "${raw}"`;
    return `${name} must be between ${schema.minimum} and ${schema.maximum}, got ${raw}`;
  }
  if (schema.type === 'boolean') return `${name} must be true or false, got "${raw}"`;
  if (schema.minLength) return `${name} must be at least ${schema.minLength} characters`;
  return `${name} is not valid`;
}

/** Reads every variable of EnvSchema: its default when unset or empty, else the checked value. */
export function readEnv(env: Env): Settings {
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(EnvSchema.properties) as [string, Setting][]) {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      out[name] = schema.default;
      continue;
    }
    if (schema.protocols) {
      let u: URL;
      try {
        u = new URL(raw);
      } catch {
        throw new ConfigError(`${name} is not a valid URL`);
      }
      if (!schema.protocols.includes(u.protocol)) throw new ConfigError(`${name} must use one of ${schema.protocols.join(', ')}`);
      out[name] = raw;
      continue;
    }
    const value = coerce(schema, raw);
    if (!Value.Check(schema, value)) throw new ConfigError(describe(name, schema, raw));
    out[name] = value;
  }
  return out as Settings;
}

function minutesList(name: string, raw: string): number[] {
  if (raw.trim() === '0') return [];
  const parts = raw.split(',').map((x) => x.trim());
  if (!parts.every((x) => /^\d+$/.test(x))) throw new ConfigError(`${name} must be a comma-separated list of minutes, got "${raw}"`);
  const list = [...new Set(parts.map(Number))].sort((a, b) => b - a);
  if (list.some((n) => n < 1 || n > 43_200)) throw new ConfigError(`${name} entries must be between 1 and 43200`);
  return list;
}

/** TRUST_PROXY: a boolean, or the proxies' addresses and CIDRs (`127.0.0.1,10.0.0.0/8`). */
function trustProxy(raw: string): boolean | string[] {
  const value = raw.trim();
  if (/^(1|true|yes)$/i.test(value)) return true;
  if (value === '' || /^(0|false|no)$/i.test(value)) return false;
  const list = value.split(',').map((x) => x.trim());
  for (const entry of list) {
    const [addr, bits, extra] = entry.split('/');
    const family = isIP(addr ?? '');
    const max = family === 6 ? 128 : 32;
    if (!family || extra !== undefined || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= max))) {
      throw new ConfigError(`TRUST_PROXY must be true, false or a comma-separated list of proxy addresses/CIDRs, got "${entry}"`);
    }
  }
  return list;
}

/** `stun:host[:port]`, `turn:host[:port][?transport=udp|tcp]`, `stuns:`/`turns:` likewise (RFC 7064, 7065). */
const ICE_URL = /^(stuns?|turns?):(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?(\?transport=(udp|tcp))?$/;

function iceServers(raw: string | undefined, turnSecret: string | undefined): string[] {
  const list = (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const u of list) {
    const m = ICE_URL.exec(u);
    if (!m) throw new ConfigError(`ICE_SERVERS: "${u}" is not a stun:, stuns:, turn: or turns: URL (host[:port][?transport=udp|tcp])`);
    if (m[4] && m[1].startsWith('stun')) throw new ConfigError(`ICE_SERVERS: "${u}": only TURN URLs take ?transport=`);
    if (m[3] && Number(m[3].slice(1)) > 65535) throw new ConfigError(`ICE_SERVERS: "${u}" has an invalid port`);
  }
  if (list.some((u) => u.startsWith('turn')) && !turnSecret) {
    throw new ConfigError('TURN_SECRET is required when ICE_SERVERS lists a turn: or turns: URL');
  }
  return list;
}

/** Reads and validates the environment once; throws ConfigError naming the variable at fault. */
export function loadConfig(env: Env = process.env): Config {
  const e = readEnv(env);
  const { PORT: port, HOST: host } = e;
  const publicUrl = (e.PUBLIC_URL ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, '');
  if (!/@/.test(e.MAIL_FROM)) throw new ConfigError('MAIL_FROM must contain an email address');
  const ice = iceServers(e.ICE_SERVERS, e.TURN_SECRET);
  // `relay` needs a TURN server to relay through: without one no call could ever connect.
  if (e.VISIT_ICE_TRANSPORT_POLICY === 'relay' && !ice.some((u) => u.startsWith('turn'))) {
    throw new ConfigError('VISIT_ICE_TRANSPORT_POLICY=relay needs a turn: or turns: URL in ICE_SERVERS');
  }
  const file = (f: string | undefined) => (f ? resolve(f) : null);
  return {
    port,
    host,
    dataDir: resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL ?? null,
    publicUrl,
    smtpUrl: e.SMTP_URL ?? null,
    mailFrom: e.MAIL_FROM,
    logLevel: e.LOG_LEVEL,
    nodeEnv: e.NODE_ENV,
    jwtSecret: e.JWT_SECRET ?? '',
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlDays: e.REFRESH_TOKEN_TTL_DAYS,
    loginMaxFailuresPerAccount: e.LOGIN_MAX_FAILURES_PER_ACCOUNT,
    loginMaxFailuresPerAddress: e.LOGIN_MAX_FAILURES_PER_ADDRESS,
    loginWindowSeconds: e.LOGIN_WINDOW_SECONDS,
    loginMaxFailuresPerAccountAddress: e.LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS,
    argon2: { memoryCost: e.ARGON2_MEMORY_KIB, timeCost: e.ARGON2_TIME_COST, parallelism: e.ARGON2_PARALLELISM },
    hashConcurrency: e.HASH_CONCURRENCY ?? Math.max(1, availableParallelism() - 1),
    hashQueueMax: e.HASH_QUEUE_MAX,
    hashQueueMaxWaitMs: e.HASH_QUEUE_MAX_WAIT_MS,
    authRateLimitMax: e.AUTH_RATE_LIMIT_MAX,
    authRateLimitWindowSeconds: e.AUTH_RATE_LIMIT_WINDOW_SECONDS,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    rateLimitMax: e.RATE_LIMIT_MAX,
    rateLimitWindowSeconds: e.RATE_LIMIT_WINDOW_SECONDS,
    slotsRateLimitMax: e.SLOTS_RATE_LIMIT_MAX,
    careRelationshipDays: e.CARE_RELATIONSHIP_DAYS,
    outboxPollMs: e.OUTBOX_POLL_MS,
    embeddedVacuumIntervalMinutes: e.EMBEDDED_VACUUM_INTERVAL_MINUTES,
    outboxMaxBackoffSeconds: e.OUTBOX_MAX_BACKOFF_SECONDS,
    metricsToken: e.METRICS_TOKEN ?? null,
    metricsPort: e.METRICS_PORT === 'off' ? null : e.METRICS_PORT,
    metricsHost: e.METRICS_HOST,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    headersTimeoutMs: e.HEADERS_TIMEOUT_MS,
    keepAliveTimeoutMs: e.KEEP_ALIVE_TIMEOUT_MS,
    maxConnections: e.MAX_CONNECTIONS,
    trustProxy: trustProxy(e.TRUST_PROXY),
    benchSkipAudit: false,
    wsAuthTimeoutMs: e.WS_AUTH_TIMEOUT_MS,
    wsHeartbeatMs: e.WS_HEARTBEAT_MS,
    wsMaxPayloadBytes: e.WS_MAX_PAYLOAD_BYTES,
    wsMaxConnectionsPerUser: e.WS_MAX_CONNECTIONS_PER_USER,
    bookingMaxOpen: e.BOOKING_MAX_OPEN,
    bookingMaxOpenPerDoctor: e.BOOKING_MAX_OPEN_PER_DOCTOR,
    lateCancellationHours: e.LATE_CANCELLATION_HOURS,
    reminderOffsetsMinutes: minutesList('REMINDER_OFFSETS_MINUTES', e.REMINDER_OFFSETS_MINUTES),
    reminderPollMs: e.REMINDER_POLL_MS,
    messageDigestDelayMinutes: e.MESSAGE_DIGEST_DELAY_MINUTES,
    waitlistHoldMinutes: e.WAITLIST_HOLD_MINUTES,
    waitlistPollMs: e.WAITLIST_POLL_MS,
    waitlistMaxEntries: e.WAITLIST_MAX_ENTRIES,
    waitlistMaxEntriesPerDoctor: e.WAITLIST_MAX_ENTRIES_PER_DOCTOR,
    messageRateMax: e.MESSAGE_RATE_MAX,
    messageRateWindowSeconds: e.MESSAGE_RATE_WINDOW_SECONDS,
    exportsPerHour: e.EXPORTS_PER_HOUR,
    recordRetentionYears: e.RECORD_RETENTION_YEARS,
    attachmentMaxBytes: e.ATTACHMENT_MAX_BYTES,
    attachmentQuotaBytes: e.ATTACHMENT_QUOTA_BYTES,
    attachmentMaxPixels: e.ATTACHMENT_MAX_PIXELS,
    attachmentOrphanTtlMinutes: e.ATTACHMENT_ORPHAN_TTL_MINUTES,
    visitOpensBeforeMinutes: e.VISIT_OPENS_BEFORE_MINUTES,
    visitClosesAfterMinutes: e.VISIT_CLOSES_AFTER_MINUTES,
    iceServers: ice,
    turnSecret: e.TURN_SECRET ?? null,
    turnCredentialTtlSeconds: e.TURN_CREDENTIAL_TTL_SECONDS,
    visitIceTransportPolicy: e.VISIT_ICE_TRANSPORT_POLICY,
    visitHeartbeatMs: e.VISIT_HEARTBEAT_MS,
    visitWaitingRoom: e.VISIT_WAITING_ROOM,
    databaseOwnerUrl: e.DATABASE_OWNER_URL ?? null,
    auditSequencerUrl: e.AUDIT_SEQUENCER_DATABASE_URL ?? null,
    databaseRoleCheck: e.DATABASE_ROLE_CHECK,
    auditSequencer: e.AUDIT_SEQUENCER,
    auditChainIntervalMs: e.AUDIT_CHAIN_INTERVAL_MS,
    auditChainBatch: e.AUDIT_CHAIN_BATCH,
    auditCheckpointFile: file(e.AUDIT_CHECKPOINT_FILE),
    auditCheckpointKeyFile: file(e.AUDIT_CHECKPOINT_KEY_FILE),
    auditCheckpointPublicKeyFile: file(e.AUDIT_CHECKPOINT_PUBLIC_KEY_FILE),
    auditCheckpointIntervalMinutes: e.AUDIT_CHECKPOINT_INTERVAL_MINUTES,
    startupChecks: e.STARTUP_CHECKS,
  };
}

/** The signing secret: configured, or generated once and kept in DATA_DIR readable by the owner only. */
export function ensureSecret(config: Config): Config {
  if (config.jwtSecret) return config;
  mkdirSync(config.dataDir, { recursive: true });
  const file = join(config.dataDir, 'secret.key');
  if (!existsSync(file)) {
    try {
      writeFileSync(file, randomBytes(48).toString('base64url'), { mode: 0o600, flag: 'wx' });
    } catch (e) {
      // Another process created it first: use theirs.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  chmodSync(file, 0o600);
  return { ...config, jwtSecret: readFileSync(file, 'utf8').trim() };
}
