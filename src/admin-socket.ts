// The embedded engine's administration channel: a Unix socket under DATA_DIR through which the CLI asks
// the running server for what it cannot do itself while the server holds DATA_DIR's lock (a consistent
// backup, an audit-chain check). Only the owner of DATA_DIR reaches it: the folder is 0700 and the
// socket 0600, so it needs no other authentication, and it is never on the network.
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { chmodSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { Logger } from 'pino';
import type { Database } from './platform/db/index.ts';
import { verifyChain, type VerifyResult } from './modules/audit/chain.ts';
import type { Checkpoint } from './platform/audit-checkpoint.ts';

export const ADMIN_SOCKET = 'admin.sock';

export function adminSocketPath(dataDir: string): string {
  return join(dataDir, ADMIN_SOCKET);
}

/**
 * A consistent copy of the embedded database as a gzipped tar of its data directory (PGlite's
 * dumpDataDir). The engine runs one statement at a time and the dump is taken between two of them,
 * with every file at the same instant: the copy is what a crash at that instant would leave, which the
 * engine recovers on opening (committed transactions kept, one in progress rolled back), never a torn
 * one. A CHECKPOINT first keeps that recovery short. The tar is built in memory while statements wait
 * (about a second per 100 MB); compression runs after, while the server goes on serving.
 */
export async function embeddedBackup(database: Database): Promise<Readable> {
  const pglite = database.pglite;
  if (!pglite) throw new Error('backup: only the embedded engine is backed up this way; use pg_dump for a server');
  await pglite.exec('CHECKPOINT');
  const tar = await pglite.dumpDataDir('none');
  return Readable.fromWeb(tar.stream() as import('node:stream/web').ReadableStream<Uint8Array>).pipe(createGzip({ level: 6 }));
}

/** Serves GET /backup (application/gzip) and GET /audit/verify (JSON VerifyResult) on DATA_DIR/admin.sock. */
export async function startAdminSocket(dataDir: string, database: Database, log: Logger): Promise<Server> {
  const path = adminSocketPath(dataDir);
  // This process holds DATA_DIR's lock, so a socket file left here is a dead server's.
  if (existsSync(path)) rmSync(path, { force: true });
  const server = createServer((req, res) => {
    const route = `${req.method} ${(req.url ?? '').split('?')[0]}`;
    const fail = (err: unknown) => {
      log.error({ err, route }, 'admin socket request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`${(err as Error).message}\n`);
      else res.destroy(err as Error);
    };
    if (route === 'GET /backup') {
      const started = performance.now();
      embeddedBackup(database).then((stream) => {
        res.writeHead(200, { 'content-type': 'application/gzip' });
        stream.on('error', fail).pipe(res);
        res.on('finish', () => log.info({ ms: Math.round(performance.now() - started) }, 'backup sent over the admin socket'));
      }, fail);
      return;
    }
    if (route === 'GET /audit/verify' || route === 'POST /audit/verify') {
      // POST carries the checkpoints the CLI read and whose signatures it checked (the key stays with the CLI).
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => {
        body += d;
        if (body.length > 16 * 1024 * 1024) req.destroy(new Error('checkpoints too large'));
      });
      req.on('end', () => {
        let checkpoints: Checkpoint[] | undefined;
        try {
          checkpoints = body ? (JSON.parse(body) as { checkpoints?: Checkpoint[] }).checkpoints : undefined;
        } catch (err) {
          fail(err);
          return;
        }
        verifyChain(database, { checkpoints }).then((result) => {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
        }, fail);
      });
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  return server;
}

export async function stopAdminSocket(server: Server | null): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A GET on the running server's admin socket; the response is streamed to the caller. */
export function adminGet(dataDir: string, path: string): Promise<IncomingMessage> {
  return adminRequest(dataDir, 'GET', path);
}

function adminRequest(dataDir: string, method: 'GET' | 'POST', path: string, body?: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : { 'content-type': 'application/json' };
    const req = request({ socketPath: adminSocketPath(dataDir), path, method, headers }, (res) => {
      if (res.statusCode === 200) return resolve(res);
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => reject(new Error(`the server answered ${res.statusCode}: ${text.trim()}`)));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function adminVerify(dataDir: string, checkpoints?: Checkpoint[]): Promise<VerifyResult> {
  const res = await adminRequest(dataDir, 'POST', '/audit/verify', JSON.stringify({ checkpoints }));
  let text = '';
  res.setEncoding('utf8');
  for await (const d of res) text += d;
  return JSON.parse(text) as VerifyResult;
}
