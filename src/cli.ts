import { createWriteStream, existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { ConfigError, loadConfig } from './platform/config.ts';
import { openAndMigrate, openDatabase, pgliteDirFor, sqlState, constraintName, migrateAsOwner } from './platform/db/index.ts';
import { runMigrations } from './platform/db/migrate.ts';
import { grantServingRoles } from './platform/db/roles.ts';
import { Passwords } from './platform/passwords.ts';
import { createAdmin } from './modules/auth/service.ts';
import { constraintErrors } from './modules/auth/accounts.ts';
import { verifyChain } from './modules/audit/chain.ts';
import {
  CheckpointFileError,
  generateKeyFiles,
  loadPrivateKey,
  loadPublicKey,
  readCheckpoints,
  writeCheckpoint,
} from './platform/audit-checkpoint.ts';
import { adminGet, adminSocketPath, adminVerify, embeddedBackup } from './admin-socket.ts';
import { lockHolder } from './platform/data-dir.ts';

const USAGE = `usage:
  npm run cli -- create-admin --username U --email E [--firstname F] [--lastname L]
                 [--password-stdin | --password-file FILE | --password P]
      (with none of the three, the password is asked for in the terminal, without echo)
  npm run cli -- migrate
  npm run cli -- audit verify [--checkpoints FILE] [--public-key FILE]
      (checks the chain, and against every signed checkpoint of FILE, default AUDIT_CHECKPOINT_FILE)
  npm run cli -- audit checkpoint [--file FILE] [--key FILE]
      (appends the signed chain head to FILE, default AUDIT_CHECKPOINT_FILE, signed with AUDIT_CHECKPOINT_KEY_FILE)
  npm run cli -- db grant --app ROLE [--sequencer ROLE]
      (server engine, with DATABASE_OWNER_URL: what the serving and sequencer roles may do; docs/deployment.md)
  npm run cli -- audit keygen --key FILE
      (a new Ed25519 key: the private key to FILE, the public key to FILE.pub)
  npm run cli -- backup FILE      (embedded engine; asks the running server when there is one)
  npm run cli -- restore FILE     (embedded engine, server stopped, into a DATA_DIR without a database)
  (embedded engine: backup and audit verify also work while the server runs, through DATA_DIR/admin.sock;
   with DATABASE_URL, back up with pg_dump and restore with pg_restore: docs/deployment.md)`;

// Whatever the CLI creates under DATA_DIR (the embedded database when it is first created) is private.
process.umask(0o077);

/** Reads a line from the terminal without echoing it. */
function readHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let value = '';
    const done = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          done();
          return resolve(value);
        }
        if (ch === '\u0003') {
          done();
          return reject(new Error('cancelled'));
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    // Echo off before the question appears: setRawMode applies once the terminal has taken the output written
    // so far (TCSADRAIN), so a question written first could be answered, and echoed, before the mode applied.
    stdin.setEncoding('utf8');
    stdin.setRawMode(true);
    process.stderr.write(question);
    stdin.resume();
    stdin.on('data', onData);
  });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** One trailing line break (from echo, a heredoc or an editor) is not part of the password. */
const chomp = (s: string) => s.replace(/\r?\n$/, '');

/**
 * The password from exactly one source: --password-stdin, --password-file, --password (kept for
 * scripts, though it shows in the process list and shell history), or an interactive prompt.
 */
async function passwordFrom(values: { password?: string; 'password-stdin'?: boolean; 'password-file'?: string }): Promise<string> {
  const sources = [values.password !== undefined, values['password-stdin'] === true, values['password-file'] !== undefined].filter(
    Boolean,
  ).length;
  if (sources > 1) fail('give the password one way only: --password-stdin, --password-file or --password');
  if (values['password-stdin']) return chomp(await readStdin());
  if (values['password-file'] !== undefined) {
    try {
      return chomp(readFileSync(values['password-file'], 'utf8'));
    } catch (e) {
      fail(`cannot read --password-file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  if (values.password !== undefined) return values.password;
  if (!process.stdin.isTTY)
    fail(`a password is needed: --password-stdin, --password-file FILE, or run in a terminal to be asked\n${USAGE}`);
  const first = await readHidden('Password for the new admin: ');
  const again = await readHidden('Repeat it: ');
  if (first !== again) fail('the two passwords differ');
  return first;
}

/** Options of a sub-command; a wrong one ends with the usage. */
function parse<O extends Record<string, { type: 'string' }>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`);
  }
}

/**
 * The embedded server running on DATA_DIR, if any: the live holder of its lock, reachable through its
 * admin socket. A live holder without the socket (another CLI command) is an error for the caller.
 */
function runningServer(dataDir: string): { pid: number; socket: boolean } | null {
  const pid = lockHolder(dataDir);
  return pid === null ? null : { pid, socket: existsSync(adminSocketPath(dataDir)) };
}

function fail(message: string, code = 2): never {
  console.error(`error: ${message}`);
  process.exit(code);
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) fail(`configuration: ${e.message}`);
    throw e;
  }
  const log = pino({ level: 'warn' });
  const dbOpts = { databaseUrl: config.databaseUrl, ownerUrl: config.databaseOwnerUrl, pgliteDir: pgliteDirFor(config.dataDir), log };

  if (command === 'migrate') {
    if (config.databaseUrl && config.databaseOwnerUrl) {
      const applied = await migrateAsOwner(config.databaseOwnerUrl);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
      return;
    }
    const database = await openDatabase(dbOpts);
    try {
      const applied = await runMigrations(database);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    } finally {
      await database.close();
    }
    return;
  }

  if (command === 'create-admin') {
    let values;
    try {
      ({ values } = parseArgs({
        args: rest,
        options: {
          username: { type: 'string' },
          email: { type: 'string' },
          password: { type: 'string' },
          'password-stdin': { type: 'boolean' },
          'password-file': { type: 'string' },
          firstname: { type: 'string' },
          lastname: { type: 'string' },
        },
        strict: true,
      }));
    } catch (e) {
      fail(`${(e as Error).message}\n${USAGE}`);
    }
    const { username, email, firstname, lastname } = values;
    if (!username || !/^[A-Za-z0-9_.]{3,32}$/.test(username)) fail('--username must be 3-32 of [a-z0-9_.]');
    if (!email || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) || email.length > 254) fail('--email must be an email address');
    const password = await passwordFrom(values);
    if (password.length < 10 || password.length > 128) fail('the password must be 10-128 characters');
    const database = await openAndMigrate(dbOpts);
    try {
      const user = await createAdmin(
        { db: database.db, passwords: new Passwords(config.argon2, config.hashConcurrency) },
        { username, email, password, firstname, lastname },
      );
      console.log(`created admin ${user.username} (${user.id})`);
    } catch (e) {
      if (sqlState(e) === '23505') {
        const c = constraintName(e) ?? '';
        // Identity declares which of its constraints means what (its constraintErrors).
        const taken = Object.hasOwn(constraintErrors, c) ? constraintErrors[c as keyof typeof constraintErrors] : 'USERNAME_TAKEN';
        fail(taken === 'EMAIL_TAKEN' ? `email ${email} is already taken` : `username ${username} is already taken`, 1);
      }
      if (sqlState(e) === '23514') fail('a value is not allowed (check --firstname/--lastname)', 1);
      throw e;
    } finally {
      await database.close();
    }
    return;
  }

  if (command === 'db' && rest[0] === 'grant') {
    const { values } = parse(rest.slice(1), { app: { type: 'string' }, sequencer: { type: 'string' } });
    if (!config.databaseOwnerUrl) fail('db grant runs as the owner: set DATABASE_OWNER_URL');
    if (!values.app) fail(`--app ROLE names the role DATABASE_URL connects as\n${USAGE}`);
    await migrateAsOwner(config.databaseOwnerUrl);
    await grantServingRoles(config.databaseOwnerUrl, values.app, values.sequencer ?? null);
    console.log(
      `granted ${values.app} what serving needs${values.sequencer ? ` and ${values.sequencer} the audit sequencer's function` : ''}`,
    );
    return;
  }

  if (command === 'audit' && rest[0] === 'keygen') {
    const { values } = parse(rest.slice(1), { key: { type: 'string' } });
    const path = values.key ?? config.auditCheckpointKeyFile;
    if (!path) fail('--key FILE (or AUDIT_CHECKPOINT_KEY_FILE) names where to write the private key');
    try {
      const { publicPath, keyId } = generateKeyFiles(path);
      console.log(`wrote the private key to ${path} and the public key to ${publicPath} (key ${keyId})`);
    } catch (e) {
      fail(`cannot write the key: ${(e as NodeJS.ErrnoException).code === 'EEXIST' ? `${path} exists already` : (e as Error).message}`, 1);
    }
    return;
  }

  if (command === 'audit' && rest[0] === 'checkpoint') {
    const { values } = parse(rest.slice(1), { file: { type: 'string' }, key: { type: 'string' } });
    const file = values.file ?? config.auditCheckpointFile;
    const keyFile = values.key ?? config.auditCheckpointKeyFile;
    if (!file) fail('--file FILE (or AUDIT_CHECKPOINT_FILE) names the checkpoint file');
    if (!keyFile) fail('--key FILE (or AUDIT_CHECKPOINT_KEY_FILE) names the signing key');
    let key;
    try {
      key = loadPrivateKey(keyFile);
    } catch (e) {
      fail(`cannot read the signing key: ${(e as Error).message}`, 1);
    }
    const database = await openAndMigrate(dbOpts);
    try {
      const cp = await writeCheckpoint(database, file, key);
      console.log(`checkpoint written to ${file}: position ${cp.seq}, hash ${cp.hash}, at ${cp.at}`);
    } finally {
      await database.close();
    }
    return;
  }

  if (command === 'audit' && rest[0] === 'verify') {
    const { values } = parse(rest.slice(1), { checkpoints: { type: 'string' }, 'public-key': { type: 'string' } });
    const cpFile = values.checkpoints ?? config.auditCheckpointFile;
    let checkpoints;
    if (cpFile) {
      const keyFile = values['public-key'] ?? config.auditCheckpointPublicKeyFile ?? config.auditCheckpointKeyFile;
      if (!keyFile) fail('checking checkpoints needs the public key: --public-key FILE or AUDIT_CHECKPOINT_PUBLIC_KEY_FILE');
      try {
        checkpoints = readCheckpoints(cpFile, loadPublicKey(keyFile));
      } catch (e) {
        if (e instanceof CheckpointFileError) {
          console.error(`audit checkpoints BROKEN: ${e.message}`);
          process.exit(1);
        }
        fail(`cannot read the checkpoints: ${(e as Error).message}`, 1);
      }
    }
    let result;
    const server = config.databaseUrl ? null : runningServer(config.dataDir);
    if (server?.socket) {
      // The running server holds the database: it walks the chain in its own read-only snapshot.
      result = await adminVerify(config.dataDir, checkpoints);
    } else {
      const database = await openAndMigrate(dbOpts);
      try {
        result = await verifyChain(database, { checkpoints });
      } finally {
        await database.close();
      }
    }
    const seconds = result.elapsedMs / 1000;
    const rate = Math.round(result.count / Math.max(seconds, 1e-6));
    if (!result.ok) {
      const b = result.broken!;
      const where = b.id ? `event ${b.id} (${b.seq ? `seq ${b.seq}, ` : ''}chain position ${b.position})` : `chain position ${b.position}`;
      console.error(`audit chain BROKEN at ${where}: ${b.reason}`);
      console.error(`checked ${result.count} events in ${seconds.toFixed(2)} s (${rate} events/s)`);
      process.exit(1);
    }
    console.log(
      `audit chain intact: ${result.count} events verified in ${seconds.toFixed(2)} s (${rate} events/s), head position ${result.headSeq} hash ${result.headHash}` +
        `; ${result.pending} committed events not chained yet` +
        (cpFile ? `; ${result.checkpoints} checkpoints matched (${cpFile})` : ''),
    );
    return;
  }

  if (command === 'backup' || command === 'restore') {
    if (rest.length !== 1 || rest[0].startsWith('-')) fail(`${command} takes one FILE\n${USAGE}`);
    if (config.databaseUrl) {
      fail(
        `${command} is for the embedded engine; with DATABASE_URL use ${command === 'backup' ? 'pg_dump -Fc' : 'pg_restore'} (docs/deployment.md)`,
      );
    }
    const file = rest[0];
    const started = performance.now();
    if (command === 'backup') {
      const partial = `${file}.partial`;
      const server = runningServer(config.dataDir);
      try {
        if (server?.socket) {
          await pipeline(await adminGet(config.dataDir, '/backup'), createWriteStream(partial, { mode: 0o600 }));
        } else {
          const database = await openDatabase(dbOpts);
          try {
            await pipeline(await embeddedBackup(database), createWriteStream(partial, { mode: 0o600 }));
          } finally {
            await database.close();
          }
        }
        renameSync(partial, file);
      } catch (e) {
        rmSync(partial, { force: true });
        throw e;
      }
      const how = server?.socket ? `from the running server (pid ${server.pid})` : 'with the server stopped';
      console.log(`backup written to ${file} ${how} in ${((performance.now() - started) / 1000).toFixed(2)} s`);
      return;
    }
    let backup: Buffer;
    try {
      backup = readFileSync(file);
    } catch (e) {
      fail(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 1);
    }
    if (backup[0] !== 0x1f || backup[1] !== 0x8b) fail(`${file} is not a Telecare backup (a gzipped tar from "backup")`, 1);
    const server = runningServer(config.dataDir);
    if (server) fail(`DATA_DIR ${config.dataDir} is in use by process ${server.pid}: stop the server before restoring`, 1);
    const dir = dbOpts.pgliteDir;
    if (existsSync(dir) && readdirSync(dir).length > 0) {
      fail(`DATA_DIR ${config.dataDir} already holds a database (${dir}): move it away, or restore into an empty DATA_DIR`, 1);
    }
    let database;
    try {
      database = await openDatabase({
        ...dbOpts,
        pgliteTemplate: new Blob([backup as Uint8Array<ArrayBuffer>], { type: 'application/x-gzip' }),
      });
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      fail(`${file} could not be restored: ${(e as Error).message}`, 1);
    }
    try {
      // A backup from an earlier release is brought to this release's schema.
      const applied = await runMigrations(database);
      const chain = await verifyChain(database);
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      console.log(
        `restored ${file} into ${dir} in ${seconds} s; ${applied.length ? `migrations applied: ${applied.join(', ')}` : 'schema up to date'}; ` +
          `audit chain ${chain.ok ? `intact (${chain.count} events)` : 'BROKEN: run "audit verify"'}`,
      );
      if (!chain.ok) process.exitCode = 1;
    } finally {
      await database.close();
    }
    return;
  }

  fail(command ? `unknown command "${command}"\n${USAGE}` : USAGE);
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
