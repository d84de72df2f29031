// Regenerates the previous release's backups that test/previous-release.test.ts restores with this release
// (issue 31: "a restore of a backup from the previous release migrates forward"):
//
//   test/fixtures/previous-release/embedded.tgz   the embedded engine's `npm run cli -- backup FILE`
//   test/fixtures/previous-release/server.dump    `pg_dump --format=custom` of a PostgreSQL database
//   test/fixtures/previous-release/manifest.json  what each holds: the commit, the row count of every table, the
//                                                 migrations applied and the audit chain's head (read back from
//                                                 the files themselves, not from the live databases)
//
// Both are made by the previous release itself, never by this code: the commit is checked out in a temporary
// worktree (`git worktree add --detach`), installed (`npm ci`, which builds it), its CLI creates the admin,
// its compiled server is started (embedded, then on a scratch PostgreSQL database) and seeded over HTTP with
// what a clinic holds (below), and its own CLI takes the embedded backup while that server runs (through
// the admin socket); pg_dump takes the other once its server has stopped. The worktree is removed at the end.
//
// Usage (from the repository root, PostgreSQL reachable as for the server tests):
//   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node --import tsx scripts/previous-release-fixtures.ts [COMMIT]
// COMMIT defaults to e51097a, the last commit before this round's migrations (its migrations end at 0027).
// Set PREVIOUS_RELEASE_DIR to reuse an existing installed checkout of that commit instead of making one, and
// PREVIOUS_RELEASE_OUT to write the files to another folder than test/fixtures/previous-release/.
//
// Seeded, with fixed user names and texts (the test checks them): an admin, a verified doctor with weekly
// hours and a default intake questionnaire, a doctor awaiting verification, two patients with verified email;
// a published telehealth consent accepted by one patient; three booked appointments (one confirmed, one
// pending, one cancelled); the confirmed one's intake answered and submitted, a signed visit note with an
// addendum, an allergy, a problem, a doctor's and a self-reported medication, a prescription, a conversation
// of three messages (one carrying an uploaded PNG, read up to the last); the admin's and the patient's reads
// of the trail. Every mail the outbox queued is delivered (to DATA_DIR/mail) before the backup is taken.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { sql } from 'drizzle-orm';
import { openDatabase, type Database } from '../src/platform/db/index.ts';
import { createScratchDatabase } from '../src/platform/db/scratch.ts';

const ROOT = resolve(import.meta.dirname, '..');
export const FIXTURES = process.env.PREVIOUS_RELEASE_OUT ?? join(ROOT, 'test', 'fixtures', 'previous-release');
export const PASSWORD = 'correct horse battery';
export const ADMIN = { username: 'clinic.admin', email: 'admin@clinic.test', password: 'a long admin password' };

const FAST_ENV = {
  ARGON2_MEMORY_KIB: '1024',
  ARGON2_TIME_COST: '1',
  AUTH_RATE_LIMIT_MAX: '0',
  RATE_LIMIT_MAX: '0',
  OUTBOX_POLL_MS: '100',
  DATABASE_ROLE_CHECK: 'off',
  LOG_LEVEL: 'warn',
  METRICS_PORT: 'off',
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sh(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): string {
  return execFileSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

/** The previous release's compiled server, started on a free port; resolves once it answers ready. */
async function startOld(dir: string, env: Record<string, string>, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(dir, 'dist', 'server.js')], {
    cwd: dir,
    env: { ...process.env, ...FAST_ENV, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 1200; i++) {
    if (child.exitCode !== null) throw new Error(`the previous release's server exited ${child.exitCode}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).ok) return child;
    } catch {
      /* not listening yet */
    }
    await sleep(100);
  }
  throw new Error('the previous release did not become ready');
}

async function stopOld(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** Decodes the quoted-printable text of a mail file written by the server (no SMTP_URL). */
function mailText(file: string): string {
  return readFileSync(file, 'utf8')
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Seeds a running previous-release server over its HTTP API (see the header). */
export async function seed(base: string, mailDir: string): Promise<void> {
  const call = async (method: string, path: string, token?: string, body?: unknown, expect = [200, 201, 204]) => {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!expect.includes(res.status)) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const login = async (login: string, password = PASSWORD) =>
    (await call('POST', '/auth/login', undefined, { login, password })).accessToken as string;
  const verifyEmail = async (email: string) => {
    const token = await until(`the verification mail to ${email}`, () => {
      for (const f of existsSync(mailDir) ? readdirSync(mailDir) : []) {
        const text = mailText(join(mailDir, f));
        const m = /\/verify-email\?token=([A-Za-z0-9_-]+)/.exec(text);
        if (m && text.includes(`To: ${email}`)) return m[1];
      }
      return undefined;
    });
    await call('POST', '/auth/verify-email', undefined, { token });
  };
  const doctor = (username: string, firstname: string, lastname: string) => ({
    username,
    email: `${username}@clinic.test`,
    password: PASSWORD,
    firstname,
    lastname,
    specialization: 'General practice',
    licenseNumber: `LIC-${username}`,
    bio: 'Family doctor',
    timezone: 'Europe/Berlin',
  });
  const patient = (username: string, firstname: string, lastname: string, dateOfBirth: string) => ({
    username,
    email: `${username}@example.test`,
    password: PASSWORD,
    firstname,
    lastname,
    dateOfBirth,
    gender: 'female',
    medicalHistory: 'Seasonal hay fever',
    timeZone: 'Europe/Berlin',
  });

  const admin = await login(ADMIN.username, ADMIN.password);
  const berg = (await call('POST', '/auth/register/doctor', undefined, doctor('dr.berg', 'Hanna', 'Berg'))).user.id as string;
  await call('POST', '/auth/register/doctor', undefined, doctor('dr.pending', 'Paul', 'Wartend'));
  const anna = (await call('POST', '/auth/register/patient', undefined, patient('pat.anna', 'Anna', 'Meyer', '1984-05-06'))).user
    .id as string;
  await call('POST', '/auth/register/patient', undefined, patient('pat.ben', 'Ben', 'Novak', '1979-11-23'));
  for (const u of ['dr.berg@clinic.test', 'dr.pending@clinic.test', 'pat.anna@example.test', 'pat.ben@example.test']) await verifyEmail(u);
  await call('POST', `/admin/doctors/${berg}/verification`, admin, { status: 'VERIFIED' });
  const [doc, pa, pb] = [await login('dr.berg'), await login('pat.anna'), await login('pat.ben')];

  // The doctor's hours and default questionnaire, before any booking (new appointments take the default).
  const weekly = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '09:00', end: '17:00' }));
  await call('PUT', '/doctors/me/availability', doc, { weekly, minNoticeMinutes: 0 });
  const q = await call('POST', '/doctors/me/questionnaires', doc, {
    title: 'New patient intake',
    items: [
      { linkId: 'reason', text: 'What brings you here?', type: 'string', required: true },
      { linkId: 'smoker', text: 'Do you smoke?', type: 'boolean', required: true },
    ],
  });
  await call('PATCH', '/doctors/me', doc, { intakeQuestionnaireId: q.id });

  // Consent: published by the admin, accepted by Anna.
  await call('POST', '/admin/consents/telehealth', admin, { text: 'I agree to be seen by video. (previous release)' });
  const consent = await call('GET', '/consents/telehealth');
  await call('POST', '/me/consents', pa, { type: 'telehealth', version: consent.version });

  // Three bookings on the doctor's next free slots: Anna's confirmed, Ben's pending, Ben's other one cancelled.
  const from = new Date(Date.now() + 86_400_000).toISOString();
  const to = new Date(Date.now() + 5 * 86_400_000).toISOString();
  const slots = (await call('GET', `/doctors/${berg}/slots?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`)) as {
    startsAt: string;
  }[];
  const appt = (await call('POST', '/appointments', pa, { doctorId: berg, startsAt: slots[0]!.startsAt, reason: 'Persistent cough' })).id;
  await call('POST', `/appointments/${appt}/confirm`, doc);
  await call('POST', '/appointments', pb, { doctorId: berg, startsAt: slots[1]!.startsAt, reason: 'Check-up' });
  const dropped = (await call('POST', '/appointments', pb, { doctorId: berg, startsAt: slots[2]!.startsAt, reason: 'Follow-up' })).id;
  await call('POST', `/appointments/${dropped}/cancel`, pb, { reason: 'Travelling' });

  // Intake answers, submitted.
  await call('PUT', `/appointments/${appt}/intake`, pa, {
    answers: [
      { linkId: 'reason', value: 'A cough for three weeks' },
      { linkId: 'smoker', value: false },
    ],
  });
  await call('POST', `/appointments/${appt}/intake/submit`, pa);

  // The clinical record.
  const rec = `/patients/${anna}`;
  await call('POST', `${rec}/allergies`, doc, { substance: { display: 'Peanut' }, category: 'food', criticality: 'high' });
  await call('POST', `${rec}/problems`, doc, { condition: { display: 'Acute bronchitis' } });
  await call('POST', `${rec}/medications`, doc, { medication: { display: 'Salbutamol inhaler' }, dosage: '2 puffs as needed' });
  await call('POST', `${rec}/medications`, pa, { medication: { display: 'Vitamin D' }, dosage: '1000 IU daily', since: '2024-01-01' });
  await call('PUT', `/appointments/${appt}/note`, doc, {
    subjective: 'Cough for three weeks',
    objective: 'Wheeze on the left',
    assessment: 'Acute bronchitis',
    plan: 'Inhaler, review in a week',
  });
  await call('POST', `/appointments/${appt}/note/sign`, doc);
  await call('POST', `/appointments/${appt}/note/addenda`, doc, { text: 'Chest X-ray not needed.' });

  // A prescription.
  await call('POST', '/prescriptions', doc, {
    appointmentId: appt,
    items: [{ medication: 'Amoxicillin', dosage: '500 mg', route: 'oral', frequency: '3 times daily', durationDays: 7, quantity: 21 }],
    notes: 'Finish the course',
  });

  // A conversation: Anna sends a photo, the doctor answers, Anna reads it.
  const png = await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 200, g: 40, b: 40 } } })
    .png()
    .toBuffer();
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'rash.png');
  const up = await fetch(`${base}/api/v1/attachments`, { method: 'POST', headers: { authorization: `Bearer ${pa}` }, body: form });
  if (up.status !== 201) throw new Error(`upload: ${up.status} ${await up.text()}`);
  const attachment = (await up.json()).id as string;
  await call('POST', `/conversations/${berg}/messages`, pa, { body: 'Here is the rash I mentioned.', attachmentIds: [attachment] });
  await call('POST', `/conversations/${anna}/messages`, doc, { body: 'Thank you, it looks harmless.' });
  const last = await call('POST', `/conversations/${berg}/messages`, pa, { body: 'Thanks, see you soon!' });
  await call('POST', `/conversations/${anna}/read`, doc, { upTo: last.id });
  const answer = (await call('GET', `/conversations/${berg}/messages`, pa)).items.find((m: { senderId: string }) => m.senderId === berg);
  await call('POST', `/conversations/${berg}/read`, pa, { upTo: answer.id });

  // Reads the trail records.
  await call('GET', '/admin/users', admin);
  await call('GET', `${rec}/allergies`, pa);
  await call('GET', '/patients/me/access-log', pa);
}

/** Waits until the server has delivered every mail: the mail folder stops growing for two seconds. */
async function mailSettled(mailDir: string): Promise<void> {
  let last = -1;
  let stableSince = Date.now();
  for (;;) {
    const n = existsSync(mailDir) ? readdirSync(mailDir).length : 0;
    if (n !== last) [last, stableSince] = [n, Date.now()];
    else if (Date.now() - stableSince > 2000) return;
    await sleep(100);
  }
}

export interface Held {
  counts: Record<string, number>;
  migrations: string[];
  chainHead: { position: string; hash: string };
}

/** What a backup holds: every table's row count, the migrations applied, the audit chain's head. */
export async function held(db: Database): Promise<Held> {
  const tables = await db.rows<{ name: string }>(
    sql`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const counts: Record<string, number> = {};
  for (const { name } of tables) counts[name] = (await db.rows<{ n: number }>(sql.raw(`SELECT count(*)::int AS n FROM "${name}"`)))[0]!.n;
  const migrations = (await db.rows<{ name: string }>(sql`SELECT name FROM schema_migrations ORDER BY name`)).map((r) => r.name);
  const [head] = await db.rows<{ position: string; hash: string }>(
    sql`SELECT chain_seq::text AS position, hash FROM audit_chain ORDER BY chain_seq DESC LIMIT 1`,
  );
  return { counts, migrations, chainHead: head! };
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => r(port));
    });
  });
}

async function main() {
  const commit = process.argv[2] ?? 'e51097a';
  const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  let dir = process.env.PREVIOUS_RELEASE_DIR;
  const own = !dir;
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), 'telecare-prev-'));
    rmSync(dir, { recursive: true });
    sh('git', ['worktree', 'add', '--detach', dir, commit], ROOT);
    sh('npm', ['ci'], dir);
  }
  const work = mkdtempSync(join(tmpdir(), 'telecare-prev-data-'));
  mkdirSync(FIXTURES, { recursive: true });
  const cli = (env: Record<string, string>, ...args: string[]) =>
    sh(process.execPath, [join(dir, 'dist', 'cli.js'), ...args], dir, { ...FAST_ENV, ...env });
  try {
    // Embedded: the admin by the CLI, the server seeded, the backup taken while it runs.
    const dataDir = join(work, 'embedded');
    cli({ DATA_DIR: dataDir }, 'create-admin', '--username', ADMIN.username, '--email', ADMIN.email, '--password', ADMIN.password);
    let port = await freePort();
    let server = await startOld(dir, { DATA_DIR: dataDir }, port);
    await seed(`http://127.0.0.1:${port}`, join(dataDir, 'mail'));
    await mailSettled(join(dataDir, 'mail'));
    const embedded = join(FIXTURES, 'embedded.tgz');
    rmSync(embedded, { force: true });
    console.log(cli({ DATA_DIR: dataDir }, 'backup', embedded).trim());
    await stopOld(server);
    const copy = await openDatabase({
      databaseUrl: null,
      pgliteDir: 'memory://',
      pgliteTemplate: new Blob([readFileSync(embedded)], { type: 'application/x-gzip' }),
    });
    const manifest: Record<string, unknown> = { commit: sh('git', ['rev-parse', 'HEAD'], dir).trim(), embedded: await held(copy) };
    await copy.close();

    // Server: a scratch database migrated and seeded by the previous release, then pg_dump.
    const scratch = await createScratchDatabase(serverUrl, 'tc_prev');
    try {
      const env = { DATA_DIR: join(work, 'server'), DATABASE_URL: scratch.url };
      cli(env, 'create-admin', '--username', ADMIN.username, '--email', ADMIN.email, '--password', ADMIN.password);
      port = await freePort();
      server = await startOld(dir, env, port);
      await seed(`http://127.0.0.1:${port}`, join(env.DATA_DIR, 'mail'));
      await mailSettled(join(env.DATA_DIR, 'mail'));
      await stopOld(server);
      const dump = join(FIXTURES, 'server.dump');
      sh('pg_dump', ['--format=custom', '--compress=9', `--file=${dump}`, `--dbname=${scratch.url}`], ROOT);
    } finally {
      await scratch.drop();
    }
    const restored = await createScratchDatabase(serverUrl, 'tc_prev');
    try {
      sh('pg_restore', ['--exit-on-error', '--no-owner', `--dbname=${restored.url}`, join(FIXTURES, 'server.dump')], ROOT);
      const db = await openDatabase({ databaseUrl: restored.url, pgliteDir: '' });
      manifest.server = await held(db);
      await db.close();
    } finally {
      await restored.drop();
    }
    writeFileSync(join(FIXTURES, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    for (const f of readdirSync(FIXTURES)) console.log(`${join(FIXTURES, f)}: ${statSync(join(FIXTURES, f)).size} bytes`);
  } finally {
    rmSync(work, { recursive: true, force: true });
    if (own) sh('git', ['worktree', 'remove', '--force', dir], ROOT);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
