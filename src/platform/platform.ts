import type { Logger } from 'pino';
import type { AuditSequencer } from './audit-sequencer.ts';
import type { Config } from './config.ts';
import type { Database, Db } from './db/index.ts';
import type { Identity } from './guards.ts';
import type { HookRegistry } from './hooks.ts';
import type { MailWorker } from './mail.ts';
import type { Passwords } from './passwords.ts';
import type { RealtimeBus } from './realtime.ts';
import type { AccessTokens } from './tokens.ts';
import type { ClientFrames } from './websocket.ts';

/** Shared plumbing handed to every module: `app.platform`. */
export interface Platform {
  config: Config;
  database: Database;
  db: Db;
  log: Logger;
  mail: MailWorker;
  passwords: Passwords;
  tokens: AccessTokens;
  /** The identity module's session check (injected by buildApp): guards and the WebSocket hub use it. */
  identity: Identity;
  bus: RealtimeBus;
  /** Handlers of client WebSocket frames that modules register (e.g. video-visit signalling). */
  frames: ClientFrames;
  /** Every module's hooks (`hooks.appointments.timeFreed`, …), created and subscribed by buildApp (src/modules/index.ts). */
  hooks: HookRegistry;
  /** The audit chain's sequencer in this instance (flush() waits until what committed is chained). */
  auditChain: AuditSequencer;
}
