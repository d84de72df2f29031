import { parseArgs } from 'node:util';
import pino from 'pino';
import { ConfigError, loadConfig } from './platform/config.ts';
import { openAndMigrate, openDatabase, pgliteDirFor, sqlState, constraintName } from './platform/db/index.ts';
import { runMigrations } from './platform/db/migrate.ts';
import { Passwords } from './platform/passwords.ts';
import { createAdmin } from './modules/auth/service.ts';
import { verifyChain } from './modules/audit/chain.ts';

const USAGE = `usage:
  npm run cli -- create-admin --username U --email E --password P [--firstname F] [--lastname L]
  npm run cli -- migrate
  npm run cli -- audit verify`;

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
  const dbOpts = { databaseUrl: config.databaseUrl, pgliteDir: pgliteDirFor(config.dataDir), log };

  if (command === 'migrate') {
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
          firstname: { type: 'string' },
          lastname: { type: 'string' },
        },
        strict: true,
      }));
    } catch (e) {
      fail(`${(e as Error).message}\n${USAGE}`);
    }
    const { username, email, password, firstname, lastname } = values;
    if (!username || !/^[A-Za-z0-9_.]{3,32}$/.test(username)) fail('--username must be 3-32 of [a-z0-9_.]');
    if (!email || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) || email.length > 254) fail('--email must be an email address');
    if (!password || password.length < 10 || password.length > 128) fail('--password must be 10-128 characters');
    const database = await openAndMigrate(dbOpts);
    try {
      const user = await createAdmin({ db: database.db, passwords: new Passwords(config.argon2, config.hashConcurrency) }, { username, email, password, firstname, lastname });
      console.log(`created admin ${user.username} (${user.id})`);
    } catch (e) {
      if (sqlState(e) === '23505') {
        const c = constraintName(e);
        fail(c === 'users_email_key' ? `email ${email} is already taken` : `username ${username} is already taken`, 1);
      }
      if (sqlState(e) === '23514') fail('a value is not allowed (check --firstname/--lastname)', 1);
      throw e;
    } finally {
      await database.close();
    }
    return;
  }

  if (command === 'audit' && rest.length === 1 && rest[0] === 'verify') {
    const database = await openAndMigrate(dbOpts);
    let result;
    try {
      result = await verifyChain(database);
    } finally {
      await database.close();
    }
    const seconds = result.elapsedMs / 1000;
    const rate = Math.round(result.count / Math.max(seconds, 1e-6));
    if (!result.ok) {
      const b = result.broken!;
      console.error(`audit chain BROKEN at ${b.id ? `event ${b.id} (seq ${b.seq})` : `the head (seq ${b.seq})`}: ${b.reason}`);
      console.error(`checked ${result.count} events in ${seconds.toFixed(2)} s (${rate} events/s)`);
      process.exit(1);
    }
    console.log(`audit chain intact: ${result.count} events verified in ${seconds.toFixed(2)} s (${rate} events/s), head seq ${result.headSeq} hash ${result.headHash}`);
    return;
  }

  fail(command ? `unknown command "${command}"\n${USAGE}` : USAGE);
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
