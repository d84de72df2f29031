// Checkpoints anchor the audit chain outside the database: the head (chain position, hash) and the time,
// signed with an Ed25519 key the database never sees, appended as one JSON line to a file the operator
// names. `audit verify` checks the chain against every line, so a rewrite that re-chains the trail
// consistently (anyone holding the database can) still differs from the hash signed before it.
import { appendFileSync, existsSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { Database } from './db/index.ts';

export interface Checkpoint {
  v: 1;
  /** Chain position of the head (the number of chained events). */
  seq: number;
  hash: string;
  at: string;
  /** First 16 hex digits of the SHA-256 of the signing public key (DER), to tell keys apart. */
  key: string;
  /** Base64 Ed25519 signature over `message(cp)`. */
  sig: string;
  /** Set when read from a file: its line number. */
  line?: number;
}

const message = (cp: Pick<Checkpoint, 'seq' | 'hash' | 'at'>) =>
  Buffer.from(`telecare-audit-checkpoint-v1|${cp.seq}|${cp.hash}|${cp.at}`, 'utf8');

export const keyId = (pub: KeyObject) =>
  createHash('sha256')
    .update(pub.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);

export function loadPrivateKey(path: string): KeyObject {
  const key = createPrivateKey(readFileSync(path));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${path} is not an Ed25519 private key`);
  return key;
}

/** The public key to verify with: a public key file (what an auditor holds) or derived from the private key. */
export function loadPublicKey(path: string): KeyObject {
  const pem = readFileSync(path);
  const key = /PRIVATE KEY/.test(pem.toString('utf8')) ? createPublicKey(createPrivateKey(pem)) : createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${path} is not an Ed25519 key`);
  return key;
}

/** Writes a new key pair: the private key to `path` (owner-only, never overwritten), the public key to `path.pub`. */
export function generateKeyFiles(path: string): { publicPath: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  const publicPath = `${path}.pub`;
  writeFileSync(publicPath, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644, flag: 'wx' });
  return { publicPath, keyId: keyId(publicKey) };
}

/** Reads the chain head as it stands (committed links only). */
export async function readHead(database: Database): Promise<{ seq: number; hash: string } | null> {
  const text = 'SELECT seq::text AS seq, hash FROM audit_chain_head';
  const rows = database.pool
    ? (await database.pool.query<{ seq: string; hash: string }>(text)).rows
    : (await database.pglite!.query<{ seq: string; hash: string }>(text)).rows;
  return rows[0] ? { seq: Number(rows[0].seq), hash: rows[0].hash } : null;
}

/** Signs the current head and appends it to `file` (created owner-only if missing). */
export async function writeCheckpoint(database: Database, file: string, key: KeyObject, now = new Date()): Promise<Checkpoint> {
  const head = await readHead(database);
  if (!head) throw new Error('the audit chain head is missing');
  const body = { seq: head.seq, hash: head.hash, at: now.toISOString() };
  const cp: Checkpoint = {
    v: 1,
    ...body,
    key: keyId(createPublicKey(key)),
    sig: sign(null, message(body), key).toString('base64'),
  };
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  // One line per append, written with O_APPEND: concurrent writers (two instances on one host) interleave whole lines.
  appendFileSync(file, `${JSON.stringify(cp)}\n`);
  return cp;
}

export class CheckpointFileError extends Error {}

/** Every checkpoint of the file, each signature checked with `pub`; throws naming the first bad line. */
export function readCheckpoints(file: string, pub: KeyObject): Checkpoint[] {
  const out: Checkpoint[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  const id = keyId(pub);
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let cp: Checkpoint;
    try {
      cp = JSON.parse(line) as Checkpoint;
    } catch {
      throw new CheckpointFileError(`${file} line ${i + 1}: not a checkpoint (invalid JSON)`);
    }
    if (cp.v !== 1 || !Number.isSafeInteger(cp.seq) || cp.seq < 0 || typeof cp.hash !== 'string' || typeof cp.at !== 'string') {
      throw new CheckpointFileError(`${file} line ${i + 1}: not a checkpoint`);
    }
    if (cp.key !== id) throw new CheckpointFileError(`${file} line ${i + 1}: signed with another key (${cp.key}, expected ${id})`);
    if (typeof cp.sig !== 'string' || !verify(null, message(cp), pub, Buffer.from(cp.sig, 'base64'))) {
      throw new CheckpointFileError(`${file} line ${i + 1}: the signature does not match (the line was altered)`);
    }
    out.push({ ...cp, line: i + 1 });
  });
  return out;
}

/**
 * Writes a checkpoint every `minutes`, when the head moved since the last one. Returns the stopper.
 * Each instance that has the key writes to its own host's file; lines from several are all valid.
 */
export function startPeriodicCheckpoints(
  database: Database,
  opts: { file: string; key: KeyObject; minutes: number; log?: Logger },
  beforeEach?: () => Promise<unknown>,
): () => void {
  let last: string | null = null;
  const timer = setInterval(() => {
    void (async () => {
      try {
        await beforeEach?.();
        const head = await readHead(database);
        if (!head || `${head.seq}:${head.hash}` === last) return;
        const cp = await writeCheckpoint(database, opts.file, opts.key);
        last = `${cp.seq}:${cp.hash}`;
        opts.log?.info({ seq: cp.seq, file: opts.file }, 'audit checkpoint written');
      } catch (err) {
        opts.log?.error({ err: (err as Error).message, file: opts.file }, 'audit checkpoint failed');
      }
    })();
  }, opts.minutes * 60_000);
  timer.unref();
  return () => clearInterval(timer);
}
