import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { isIP } from 'node:net';

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

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function bool(env: Env, name: string, def: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (/^(1|true|yes)$/i.test(raw)) return true;
  if (/^(0|false|no)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function url(env: Env, name: string, protocols: string[]): string | null {
  const raw = env[name];
  if (raw === undefined || raw === '') return null;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL`);
  }
  if (!protocols.includes(u.protocol)) {
    throw new ConfigError(`${name} must use one of ${protocols.join(', ')}`);
  }
  return raw;
}

function minutesList(env: Env, name: string, def: number[]): number[] {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (raw.trim() === '0') return [];
  const parts = raw.split(',').map((x) => x.trim());
  if (!parts.every((x) => /^\d+$/.test(x))) throw new ConfigError(`${name} must be a comma-separated list of minutes, got "${raw}"`);
  const list = [...new Set(parts.map(Number))].sort((a, b) => b - a);
  if (list.some((n) => n < 1 || n > 43_200)) throw new ConfigError(`${name} entries must be between 1 and 43200`);
  return list;
}

function startupChecks(env: Env): 'warn' | 'strict' {
  const raw = env.STARTUP_CHECKS || 'warn';
  if (raw !== 'warn' && raw !== 'strict') throw new ConfigError(`STARTUP_CHECKS must be warn or strict, got "${raw}"`);
  return raw;
}

/** TRUST_PROXY: a boolean, or the proxies' addresses and CIDRs (`127.0.0.1,10.0.0.0/8`). */
function trustProxy(env: Env): boolean | string[] {
  const raw = (env.TRUST_PROXY ?? '').trim();
  if (raw === '' || /^(0|1|false|true|no|yes)$/i.test(raw)) return bool(env, 'TRUST_PROXY', false);
  const list = raw.split(',').map((x) => x.trim());
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

function iceServers(env: Env): string[] {
  const list = (env.ICE_SERVERS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const u of list) {
    const m = ICE_URL.exec(u);
    if (!m) throw new ConfigError(`ICE_SERVERS: "${u}" is not a stun:, stuns:, turn: or turns: URL (host[:port][?transport=udp|tcp])`);
    if (m[4] && m[1].startsWith('stun')) throw new ConfigError(`ICE_SERVERS: "${u}": only TURN URLs take ?transport=`);
    if (m[3] && Number(m[3].slice(1)) > 65535) throw new ConfigError(`ICE_SERVERS: "${u}" has an invalid port`);
  }
  if (list.some((u) => u.startsWith('turn')) && !env.TURN_SECRET) {
    throw new ConfigError('TURN_SECRET is required when ICE_SERVERS lists a turn: or turns: URL');
  }
  return list;
}

/** `relay` needs a TURN server to relay through: without one no call could ever connect. */
function iceTransportPolicy(env: Env, servers: string[]): 'all' | 'relay' {
  const raw = env.VISIT_ICE_TRANSPORT_POLICY || 'all';
  if (raw !== 'all' && raw !== 'relay') throw new ConfigError(`VISIT_ICE_TRANSPORT_POLICY must be all or relay, got "${raw}"`);
  if (raw === 'relay' && !servers.some((u) => u.startsWith('turn'))) {
    throw new ConfigError('VISIT_ICE_TRANSPORT_POLICY=relay needs a turn: or turns: URL in ICE_SERVERS');
  }
  return raw;
}

function roleCheck(env: Env): 'warn' | 'refuse' | 'off' {
  const raw = env.DATABASE_ROLE_CHECK || 'warn';
  if (raw !== 'warn' && raw !== 'refuse' && raw !== 'off')
    throw new ConfigError(`DATABASE_ROLE_CHECK must be warn, refuse or off, got "${raw}"`);
  return raw;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads and validates the environment once; throws ConfigError naming the variable at fault. */
export function loadConfig(env: Env = process.env): Config {
  const port = int(env, 'PORT', 3000, 0, 65535);
  const host = env.HOST || '127.0.0.1';
  const dataDir = resolve(env.DATA_DIR || './data');
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const publicUrl = (url(env, 'PUBLIC_URL', ['http:', 'https:']) ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(
    /\/+$/,
    '',
  );
  const mailFrom = env.MAIL_FROM || 'Telecare <no-reply@telecare.localhost>';
  if (!/@/.test(mailFrom)) throw new ConfigError('MAIL_FROM must contain an email address');
  const jwtSecret = env.JWT_SECRET || '';
  if (jwtSecret && jwtSecret.length < 32) throw new ConfigError('JWT_SECRET must be at least 32 characters');
  const ice = iceServers(env);
  return {
    port,
    host,
    dataDir,
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    publicUrl,
    smtpUrl: url(env, 'SMTP_URL', ['smtp:', 'smtps:']),
    mailFrom,
    logLevel,
    nodeEnv: env.NODE_ENV || 'development',
    jwtSecret,
    accessTokenTtlSeconds: int(env, 'ACCESS_TOKEN_TTL_SECONDS', 900, 10, 86400),
    refreshTokenTtlDays: int(env, 'REFRESH_TOKEN_TTL_DAYS', 30, 1, 365),
    loginMaxFailuresPerAccount: int(env, 'LOGIN_MAX_FAILURES_PER_ACCOUNT', 50, 1, 100_000),
    loginMaxFailuresPerAddress: int(env, 'LOGIN_MAX_FAILURES_PER_ADDRESS', 100, 1, 1_000_000),
    loginWindowSeconds: int(env, 'LOGIN_WINDOW_SECONDS', 900, 1, 86400),
    loginMaxFailuresPerAccountAddress: int(env, 'LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS', 5, 1, 1000),
    argon2: {
      // OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane).
      memoryCost: int(env, 'ARGON2_MEMORY_KIB', 19456, 1024, 4_194_304),
      timeCost: int(env, 'ARGON2_TIME_COST', 2, 1, 20),
      parallelism: int(env, 'ARGON2_PARALLELISM', 1, 1, 16),
    },
    hashConcurrency: int(env, 'HASH_CONCURRENCY', Math.max(1, availableParallelism() - 1), 1, 256),
    hashQueueMax: int(env, 'HASH_QUEUE_MAX', 32, 0, 100_000),
    hashQueueMaxWaitMs: int(env, 'HASH_QUEUE_MAX_WAIT_MS', 2000, 10, 600_000),
    authRateLimitMax: int(env, 'AUTH_RATE_LIMIT_MAX', 60, 0, 1_000_000),
    authRateLimitWindowSeconds: int(env, 'AUTH_RATE_LIMIT_WINDOW_SECONDS', 60, 1, 86400),
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 256 * 1024, 1024, 64 * 1024 * 1024),
    rateLimitMax: int(env, 'RATE_LIMIT_MAX', 3000, 0, 10_000_000),
    rateLimitWindowSeconds: int(env, 'RATE_LIMIT_WINDOW_SECONDS', 60, 1, 86400),
    slotsRateLimitMax: int(env, 'SLOTS_RATE_LIMIT_MAX', 120, 1, 10_000_000),
    careRelationshipDays: int(env, 'CARE_RELATIONSHIP_DAYS', 365, 1, 36_500),
    outboxPollMs: int(env, 'OUTBOX_POLL_MS', 2000, 10, 600_000),
    embeddedVacuumIntervalMinutes: int(env, 'EMBEDDED_VACUUM_INTERVAL_MINUTES', 360, 0, 100_000),
    outboxMaxBackoffSeconds: int(env, 'OUTBOX_MAX_BACKOFF_SECONDS', 3600, 1, 86400),
    metricsToken: env.METRICS_TOKEN || null,
    metricsPort: env.METRICS_PORT === 'off' ? null : int(env, 'METRICS_PORT', 9464, 0, 65535),
    metricsHost: env.METRICS_HOST || '127.0.0.1',
    requestTimeoutMs: int(env, 'REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
    headersTimeoutMs: int(env, 'HEADERS_TIMEOUT_MS', 10_000, 100, 600_000),
    keepAliveTimeoutMs: int(env, 'KEEP_ALIVE_TIMEOUT_MS', 10_000, 100, 600_000),
    maxConnections: int(env, 'MAX_CONNECTIONS', 1024, 1, 1_000_000),
    trustProxy: trustProxy(env),
    benchSkipAudit: false,
    wsAuthTimeoutMs: int(env, 'WS_AUTH_TIMEOUT_MS', 10_000, 100, 600_000),
    wsHeartbeatMs: int(env, 'WS_HEARTBEAT_MS', 30_000, 50, 600_000),
    wsMaxPayloadBytes: int(env, 'WS_MAX_PAYLOAD_BYTES', 16 * 1024, 256, 1024 * 1024),
    wsMaxConnectionsPerUser: int(env, 'WS_MAX_CONNECTIONS_PER_USER', 10, 1, 1000),
    bookingMaxOpen: int(env, 'BOOKING_MAX_OPEN', 10, 1, 10_000),
    bookingMaxOpenPerDoctor: int(env, 'BOOKING_MAX_OPEN_PER_DOCTOR', 3, 1, 10_000),
    lateCancellationHours: int(env, 'LATE_CANCELLATION_HOURS', 24, 0, 720),
    reminderOffsetsMinutes: minutesList(env, 'REMINDER_OFFSETS_MINUTES', [1440, 60]),
    reminderPollMs: int(env, 'REMINDER_POLL_MS', 30_000, 10, 3_600_000),
    messageDigestDelayMinutes: int(env, 'MESSAGE_DIGEST_DELAY_MINUTES', 15, 1, 10_080),
    waitlistHoldMinutes: int(env, 'WAITLIST_HOLD_MINUTES', 15, 1, 1440),
    waitlistPollMs: int(env, 'WAITLIST_POLL_MS', 1000, 10, 600_000),
    waitlistMaxEntries: int(env, 'WAITLIST_MAX_ENTRIES', 5, 1, 10_000),
    waitlistMaxEntriesPerDoctor: int(env, 'WAITLIST_MAX_ENTRIES_PER_DOCTOR', 1, 1, 10_000),
    messageRateMax: int(env, 'MESSAGE_RATE_MAX', 60, 1, 1_000_000),
    messageRateWindowSeconds: int(env, 'MESSAGE_RATE_WINDOW_SECONDS', 60, 1, 86400),
    exportsPerHour: int(env, 'EXPORTS_PER_HOUR', 6, 1, 10_000),
    recordRetentionYears: int(env, 'RECORD_RETENTION_YEARS', 10, 1, 100),
    attachmentMaxBytes: int(env, 'ATTACHMENT_MAX_BYTES', 15 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    attachmentQuotaBytes: int(env, 'ATTACHMENT_QUOTA_BYTES', 500 * 1024 * 1024, 1024, Number.MAX_SAFE_INTEGER),
    attachmentMaxPixels: int(env, 'ATTACHMENT_MAX_PIXELS', 40_000_000, 1, 1_000_000_000),
    attachmentOrphanTtlMinutes: int(env, 'ATTACHMENT_ORPHAN_TTL_MINUTES', 1440, 1, 525_600),
    visitOpensBeforeMinutes: int(env, 'VISIT_OPENS_BEFORE_MINUTES', 10, 0, 1440),
    visitClosesAfterMinutes: int(env, 'VISIT_CLOSES_AFTER_MINUTES', 30, 0, 1440),
    iceServers: ice,
    turnSecret: env.TURN_SECRET || null,
    turnCredentialTtlSeconds: int(env, 'TURN_CREDENTIAL_TTL_SECONDS', 600, 60, 86400),
    visitIceTransportPolicy: iceTransportPolicy(env, ice),
    visitHeartbeatMs: int(env, 'VISIT_HEARTBEAT_MS', 15_000, 50, 600_000),
    visitWaitingRoom: bool(env, 'VISIT_WAITING_ROOM', true),
    databaseOwnerUrl: url(env, 'DATABASE_OWNER_URL', ['postgres:', 'postgresql:']),
    auditSequencerUrl: url(env, 'AUDIT_SEQUENCER_DATABASE_URL', ['postgres:', 'postgresql:']),
    databaseRoleCheck: roleCheck(env),
    auditSequencer: bool(env, 'AUDIT_SEQUENCER', true),
    auditChainIntervalMs: int(env, 'AUDIT_CHAIN_INTERVAL_MS', 1000, 10, 600_000),
    auditChainBatch: int(env, 'AUDIT_CHAIN_BATCH', 5000, 1, 100_000),
    auditCheckpointFile: env.AUDIT_CHECKPOINT_FILE ? resolve(env.AUDIT_CHECKPOINT_FILE) : null,
    auditCheckpointKeyFile: env.AUDIT_CHECKPOINT_KEY_FILE ? resolve(env.AUDIT_CHECKPOINT_KEY_FILE) : null,
    auditCheckpointPublicKeyFile: env.AUDIT_CHECKPOINT_PUBLIC_KEY_FILE ? resolve(env.AUDIT_CHECKPOINT_PUBLIC_KEY_FILE) : null,
    auditCheckpointIntervalMinutes: int(env, 'AUDIT_CHECKPOINT_INTERVAL_MINUTES', 60, 0, 100_000),
    startupChecks: startupChecks(env),
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
