// Backup and restore times of a large clinic database, on both engines (issue 31's closing figure, in
// docs/deployment.md, "Backups and restore"). Not part of `npm test`.
//
// Fills a fresh database, through SQL only, to BENCH_SIZE_MB (default 1024, by pg_database_size) with the
// rows a clinic accumulates: doctors and patients, past appointments, messages, audit events (chained by the
// database's own sequencer function, so that `audit verify` and the restore's check pass), and attachments
// (their bytes live in the database, in 256-KB chunks; random bytes, incompressible like photos). Then, as an
// operator would, BENCH_RUNS times (default 2):
//   embedded:  `npm run cli -- backup FILE` while the compiled server runs on DATA_DIR (through its admin
//              socket), then `npm run cli -- restore FILE` into an empty DATA_DIR (which migrates and checks
//              the audit chain);
//   server:    `pg_dump --format=custom` and `pg_restore` into a new database, with --jobs=1 and --jobs=2.
// Reports each run, min and median seconds, file sizes, throughput (database MB per second) and peak memory.
//
// Usage: npm run bench:backup -- [postgres://…/db]   (no URL: the embedded engine)
//        env: BENCH_SIZE_MB (default 1024), BENCH_RUNS (default 2), BENCH_DIR (default the OS temp folder)
import { spawn } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { openAndMigrate, pgliteDirFor, type Database } from '../src/platform/db/index.ts';
import { createScratchDatabase } from '../src/platform/db/scratch.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const targetMb = Number(process.env.BENCH_SIZE_MB ?? 1024);
const runs = Number(process.env.BENCH_RUNS ?? 2);
const adminUrl = process.argv[2] ?? null;
const base = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'telecare-backup-bench-'));
const MB = 1024 * 1024;

interface Timed {
  seconds: number;
  status: number | null;
  output: string;
  maxRssMiB: number;
}

/** Runs a command under /usr/bin/time; its wall time, exit status, output and peak memory. */
function timed(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('/usr/bin/time', ['-f', 'maxrss_kib=%M', cmd, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (status) =>
      resolve({
        seconds: (performance.now() - started) / 1000,
        status,
        output: output.trim(),
        maxRssMiB: Math.round(Number(/maxrss_kib=(\d+)/.exec(output)?.[1] ?? 0) / 1024),
      }),
    );
  });
}

async function must(r: Promise<Timed>, what: string): Promise<Timed> {
  const x = await r;
  if (x.status !== 0) throw new Error(`${what} failed (${x.status}): ${x.output}`);
  return x;
}

const sizeMb = async (db: Database) =>
  Number((await db.rows<{ b: string }>(sql`SELECT pg_database_size(current_database())::text AS b`))[0]!.b) / MB;

/** The fill (see the header); returns the database size in MB and the row counts. */
async function fill(db: Database): Promise<{ mb: number; rows: Record<string, number>; seconds: number }> {
  const started = performance.now();
  const hash = '$argon2id$v=19$m=1024,t=1,p=1$YmVuY2hzYWx0YmVuY2g$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
  await db.rows(sql`
    INSERT INTO users (username, email, password_hash, firstname, lastname, role, email_verified_at)
    SELECT 'bdoc' || i, 'bdoc' || i || '@bench.test', ${hash}, 'Doc', 'Tor' || i, 'DOCTOR', now() FROM generate_series(1, 200) i`);
  await db.rows(sql`
    INSERT INTO doctors (id, specialization, license_number, bio, timezone, verification_status, verified_at)
    SELECT id, 'General practice', 'LIC-' || username, 'Family doctor', 'Europe/Berlin', 'VERIFIED', now() FROM users WHERE role = 'DOCTOR'`);
  await db.rows(sql`
    INSERT INTO users (username, email, password_hash, firstname, lastname, role, email_verified_at)
    SELECT 'bpat' || i, 'bpat' || i || '@bench.test', ${hash}, 'Pat', 'Ient' || i, 'PATIENT', now() FROM generate_series(1, 20000) i`);
  await db.rows(sql`
    INSERT INTO patients (id, date_of_birth, gender, medical_history)
    SELECT id, date '1950-01-01' + (random() * 20000)::int, 'female', 'Seasonal hay fever; appendectomy in childhood.' FROM users WHERE role = 'PATIENT'`);
  // Pairs (doctor k % 200, patient k % 20000) through a numbered view of both.
  const pairs = sql`
    (SELECT d.id AS doctor_id, p.id AS patient_id, p.n
       FROM (SELECT id, (row_number() OVER (ORDER BY id))::int - 1 AS n FROM users WHERE role = 'PATIENT') p
       JOIN (SELECT id, (row_number() OVER (ORDER BY id))::int - 1 AS n FROM users WHERE role = 'DOCTOR') d ON d.n = p.n % 200)`;
  await db.rows(sql`CREATE TEMP TABLE bench_pairs AS SELECT * FROM ${pairs} x`);
  const sentence = `'Good morning, the new dosage seems to work; I slept better and the cough is gone. '`;
  let round = 0;
  let mb = await sizeMb(db);
  while (mb < targetMb) {
    round++;
    // Past appointments (no overlap rule applies to completed ones).
    await db.rows(sql`
      INSERT INTO appointments (patient_id, doctor_id, starts_at, ends_at, status, reason)
      SELECT patient_id, doctor_id, now() - (${round} * 20000 + n) * interval '1 hour', now() - (${round} * 20000 + n) * interval '1 hour' + interval '30 minutes',
             'COMPLETED', 'Follow-up of blood pressure and medication review'
      FROM bench_pairs`);
    // Messages, 2-3 sentences each with a varying part.
    for (let i = 0; i < 2; i++) {
      await db.rows(
        sql.raw(`
        INSERT INTO messages (doctor_id, patient_id, sender_id, recipient_id, body, created_at, read_at)
        SELECT doctor_id, patient_id, CASE WHEN n % 2 = 0 THEN doctor_id ELSE patient_id END, CASE WHEN n % 2 = 0 THEN patient_id ELSE doctor_id END,
               repeat(${sentence}, 2 + n % 2) || md5(n::text || ${round * 2 + i}), now() - n * interval '1 minute', now()
        FROM bench_pairs`),
      );
    }
    // Audit events, 5,000 per statement (sealed by the insert trigger, chained below).
    for (let i = 0; i < 8; i++) {
      await db.rows(sql`
        INSERT INTO audit_events (actor_id, actor_role, action, resource_type, resource_id, patient_id, outcome, ip, request_id)
        SELECT doctor_id, 'DOCTOR', 'clinical.allergies.read', 'patient', patient_id::text, patient_id, 'SUCCESS', '10.0.0.' || (n % 250), 'req-' || md5(n::text || ${round}::text || ${i}::text)
        FROM bench_pairs WHERE n < 5000`);
    }
    // Attachments: 12 files of 1 MB (4 chunks of 256 KB), sent in messages.
    for (let f = 0; f < 12; f++) {
      const bytes = randomBytes(4 * 262144);
      const [pair] = await db.rows<{ doctor_id: string; patient_id: string }>(
        sql`SELECT doctor_id, patient_id FROM bench_pairs WHERE n = ${(round * 12 + f) % 20000}`,
      );
      const [msg] = await db.rows<{ id: string }>(sql`
        INSERT INTO messages (doctor_id, patient_id, sender_id, recipient_id, body)
        VALUES (${pair!.doctor_id}, ${pair!.patient_id}, ${pair!.patient_id}, ${pair!.doctor_id}, 'A photo of the rash') RETURNING id`);
      const [att] = await db.rows<{ id: string }>(sql`
        INSERT INTO attachments (uploader_id, patient_id, doctor_id, message_id, file_name, content_type, size, sha256, referenced_at)
        VALUES (${pair!.patient_id}, ${pair!.patient_id}, ${pair!.doctor_id}, ${msg!.id}, 'photo.jpg', 'image/jpeg', ${bytes.length},
                ${createHash('sha256').update(bytes).digest('hex')}, now()) RETURNING id`);
      for (let c = 0; c < 4; c++) {
        await db.rows(
          sql`INSERT INTO attachment_chunks (attachment_id, n, bytes) VALUES (${att!.id}, ${c}, ${bytes.subarray(c * 262144, (c + 1) * 262144)})`,
        );
      }
    }
    mb = await sizeMb(db);
    process.stderr.write(`fill round ${round}: ${mb.toFixed(0)} MB\n`);
  }
  await db.rows(sql`
    INSERT INTO conversations (doctor_id, patient_id, last_message_id, last_seq)
    SELECT DISTINCT ON (doctor_id, patient_id) doctor_id, patient_id, id, seq FROM messages ORDER BY doctor_id, patient_id, seq DESC`);
  // Chain every event, as the running sequencer would.
  for (;;) {
    const [r] = await db.rows<{ n: number }>(sql`SELECT audit_chain_batch(20000) AS n`);
    if (r!.n <= 0) break;
  }
  await db.rows(sql`VACUUM ANALYZE`);
  await db.rows(sql`CHECKPOINT`);
  const rows: Record<string, number> = {};
  for (const t of ['users', 'appointments', 'messages', 'audit_events', 'audit_chain', 'attachments', 'attachment_chunks']) {
    rows[t] = (await db.rows<{ n: number }>(sql.raw(`SELECT count(*)::int AS n FROM ${t}`)))[0]!.n;
  }
  return { mb: await sizeMb(db), rows, seconds: (performance.now() - started) / 1000 };
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length / 2;
  const median = s.length % 2 ? s[Math.floor(mid)]! : (s[mid - 1]! + s[mid]!) / 2;
  return { min: Number(s[0]!.toFixed(1)), median: Number(median.toFixed(1)), runs: xs.map((x) => Number(x.toFixed(1))) };
};

async function embedded() {
  const dataDir = join(base, 'live');
  const database = await openAndMigrate({ databaseUrl: null, pgliteDir: pgliteDirFor(dataDir) });
  const filled = await fill(database);
  await database.close();
  const dirMb = Number((await must(timed('du', ['-sm', join(dataDir, 'pglite')]), 'du')).output.split(/\s/)[0]);
  const env = { DATA_DIR: dataDir, LOG_LEVEL: 'warn', METRICS_PORT: 'off', PORT: '0', HOST: '127.0.0.1' };
  const server = spawn(process.execPath, ['--enable-source-maps', 'dist/server.js'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
  const serverRss = () => Math.round(Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);
  // Ready once the admin socket is up (it opens after the database).
  for (let i = 0; ; i++) {
    try {
      statSync(join(dataDir, 'admin.sock'));
      break;
    } catch {
      if (server.exitCode !== null || i > 6000) throw new Error('the server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const backups: Timed[] = [];
  const file = join(base, 'backup.tgz');
  for (let i = 0; i < runs; i++) {
    rmSync(file, { force: true });
    backups.push(await must(timed(process.execPath, ['dist/cli.js', 'backup', file], { DATA_DIR: dataDir }), 'backup'));
  }
  const fileMb = statSync(file).size / MB;
  const serverPeak = serverRss();
  const exited = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  await exited;
  const restores: Timed[] = [];
  for (let i = 0; i < runs; i++) {
    const target = join(base, `restored${i}`);
    restores.push(await must(timed(process.execPath, ['dist/cli.js', 'restore', file], { DATA_DIR: target }), 'restore'));
    rmSync(target, { recursive: true, force: true });
  }
  return {
    engine: 'embedded (PGlite)',
    databaseMb: Math.round(filled.mb),
    dataDirectoryMb: dirMb,
    fillSeconds: Math.round(filled.seconds),
    rows: filled.rows,
    backupFileMb: Math.round(fileMb),
    backupSeconds: stats(backups.map((b) => b.seconds)),
    backupMbPerSecond: Number((filled.mb / Math.min(...backups.map((b) => b.seconds))).toFixed(1)),
    serverPeakRssMiB: serverPeak,
    restoreSeconds: stats(restores.map((r) => r.seconds)),
    restoreMbPerSecond: Number((filled.mb / Math.min(...restores.map((r) => r.seconds))).toFixed(1)),
    restorePeakRssMiB: Math.max(...restores.map((r) => r.maxRssMiB)),
    restoreOutput: restores[0]!.output.split('\n')[0],
  };
}

async function server(url: string) {
  const live = await createScratchDatabase(url, 'tc_bkbench');
  try {
    const database = await openAndMigrate({ databaseUrl: live.url, pgliteDir: '' });
    const filled = await fill(database);
    await database.close();
    const file = join(base, 'backup.dump');
    const dumps: Timed[] = [];
    for (let i = 0; i < runs; i++) {
      rmSync(file, { force: true });
      dumps.push(await must(timed('pg_dump', ['--format=custom', `--file=${file}`, `--dbname=${live.url}`]), 'pg_dump'));
    }
    const restores: Record<string, Timed[]> = { 1: [], 2: [] };
    for (const jobs of [1, 2]) {
      for (let i = 0; i < runs; i++) {
        const target = await createScratchDatabase(url, 'tc_bkbench_r');
        try {
          restores[jobs]!.push(
            await must(
              timed('pg_restore', ['--exit-on-error', '--no-owner', `--jobs=${jobs}`, `--dbname=${target.url}`, file]),
              'pg_restore',
            ),
          );
          if (jobs === 1 && i === 0) {
            const verify = await must(
              timed(process.execPath, ['dist/cli.js', 'audit', 'verify'], { DATABASE_URL: target.url, DATA_DIR: base }),
              'verify',
            );
            process.stderr.write(`${verify.output}\n`);
          }
        } finally {
          await target.drop();
        }
      }
    }
    return {
      engine: 'server (PostgreSQL)',
      databaseMb: Math.round(filled.mb),
      fillSeconds: Math.round(filled.seconds),
      rows: filled.rows,
      dumpFileMb: Math.round(statSync(file).size / MB),
      pgDumpSeconds: stats(dumps.map((d) => d.seconds)),
      pgDumpMbPerSecond: Number((filled.mb / Math.min(...dumps.map((d) => d.seconds))).toFixed(1)),
      pgRestoreSeconds: stats(restores[1]!.map((r) => r.seconds)),
      pgRestoreJobs2Seconds: stats(restores[2]!.map((r) => r.seconds)),
      pgRestoreMbPerSecond: Number((filled.mb / Math.min(...restores[1]!.map((r) => r.seconds))).toFixed(1)),
    };
  } finally {
    await live.drop();
  }
}

try {
  const result = adminUrl ? await server(adminUrl) : await embedded();
  console.log(JSON.stringify({ date: new Date().toISOString(), targetMb, runs, ...result }, null, 2));
} finally {
  rmSync(base, { recursive: true, force: true });
}
