// Fault survival: the server killed during a booking load, SMTP down during registrations (the database
// going away under traffic is test/db-outage.server.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { build, freshDatabase, mailbox, patientBody, sleep } from './helpers.ts';
import { compiled } from './fixtures/compiled.ts';
import { pgliteTemplate } from './fixtures/pglite-template.ts';
import { openAndMigrate, openDatabase, pgliteDirFor } from '../src/platform/db/index.ts';
import { AccessTokens } from '../src/platform/tokens.ts';

test('SMTP down during registrations: every mail arrives once SMTP is back, none twice', async (t) => {
  // Retries back off exponentially; capped at 1 s here so that the test does not wait an hour.
  const app = await build(t, { outboxMaxBackoffSeconds: 1 });
  mailbox.accepting = false;
  t.after(() => {
    mailbox.accepting = true;
  });
  const bodies = Array.from({ length: 8 }, () => patientBody());
  const results = await Promise.all(bodies.map((body) => app.request('POST', '/api/v1/auth/register/patient', { body })));
  assert.deepEqual(
    results.map((r) => r.status),
    bodies.map(() => 201),
    'registration does not depend on SMTP',
  );

  // Wait until every queued mail has failed at least once.
  const emails = bodies.map((b) => b.email.toLowerCase());
  // Bounds, not expectations: on a loaded machine each refused attempt (connect, DATA, refusal) takes longer.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const [row] = await app.database.rows<{ failed: number }>(sql`
      SELECT count(*)::int AS failed FROM mail_outbox WHERE lower(recipient) = ANY(${`{${emails.join(',')}}`}::text[]) AND last_error IS NOT NULL AND sent_at IS NULL`);
    if (row.failed === emails.length) break;
    assert.ok(Date.now() < deadline, 'every delivery attempt failed while SMTP refused');
    await sleep(50);
  }
  assert.equal(emails.filter((e) => mailbox.count(e) > 0).length, 0, 'nothing was accepted while down');

  mailbox.accepting = true;
  for (const e of emails) await mailbox.waitFor(e, /verif/i);
  await sleep(1500); // past one more backoff period: a duplicate would have arrived by now
  const ours = mailbox.mails.filter((m) => emails.includes(m.to));
  assert.equal(ours.length, emails.length, 'exactly one mail per registration');
  assert.equal(new Set(ours.map((m) => m.messageId)).size, emails.length, 'no Message-ID twice');
  const [pending] = await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM mail_outbox WHERE sent_at IS NULL`);
  assert.equal(pending.n, 0);
});

// ---------- SIGKILL during a booking load ----------

async function freePortNumber(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

function startServer(env: Record<string, string>): { proc: ChildProcess; exited: Promise<unknown> } {
  const proc = spawn(process.execPath, compiled('server'), {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return { proc, exited: new Promise((resolve) => proc.once('exit', resolve)) };
}

async function waitReady(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/health/ready`)).ok) return;
    } catch {
      // not yet listening
    }
    assert.ok(Date.now() < deadline, 'server ready within 60 s');
    await sleep(100);
  }
}

test('SIGKILL of the server during a booking load: after restart every 201 exists and no slot is double-booked', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'telecare-kill-'));
  let databaseUrl = '';
  let drop = async () => undefined as unknown;
  if (process.env.TEST_DATABASE_URL) {
    const fresh = await freshDatabase();
    await fresh.database.close();
    databaseUrl = fresh.url!;
    drop = fresh.drop;
  }
  t.after(async () => {
    await drop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const jwtSecret = randomBytes(32).toString('hex');
  // Seed straight into the database the child will own: a doctor bookable round the clock, 20 patients with sessions.
  // Embedded: the data directory starts from the run's migrated template (a first start is not the subject).
  const db = await openAndMigrate({
    databaseUrl: databaseUrl || null,
    pgliteDir: pgliteDirFor(dataDir),
    ...(databaseUrl ? {} : { pgliteTemplate: await pgliteTemplate() }),
  });
  const tokens = new AccessTokens(jwtSecret, 3600);
  const mk = async (username: string, role: 'DOCTOR' | 'PATIENT') => {
    const [u] = await db.rows<{
      id: string;
    }>(sql`INSERT INTO users (username, email, password_hash, firstname, lastname, role, email_verified_at)
      VALUES (${username}, ${username + '@kill.test'}, 'x', 'K', 'Ill', ${role}, now()) RETURNING id`);
    const [s] = await db.rows<{ id: string }>(
      sql`INSERT INTO sessions (user_id, expires_at) VALUES (${u.id}, now() + interval '1 hour') RETURNING id`,
    );
    return { id: u.id, token: await tokens.sign({ sub: u.id, sid: s.id, role }) };
  };
  const doctor = await mk('killdoc', 'DOCTOR');
  await db.rows(sql`INSERT INTO doctors (id, specialization, license_number, timezone, slot_minutes, min_notice_minutes, max_advance_days, verification_status, verified_at)
    VALUES (${doctor.id}, 'Cardiology', 'LIC-K', 'UTC', 10, 0, 365, 'VERIFIED', now())`);
  await db.rows(
    sql`INSERT INTO availability_rules (doctor_id, weekday, start_minute, end_minute) SELECT ${doctor.id}, d, 0, 1440 FROM generate_series(1, 7) d`,
  );
  const patients: { id: string; token: string }[] = [];
  for (let i = 0; i < 20; i++) {
    const p = await mk(`killpat${i}`, 'PATIENT');
    await db.rows(sql`INSERT INTO patients (id, date_of_birth, gender) VALUES (${p.id}, '1980-01-01', 'male')`);
    patients.push(p);
  }
  await db.close();

  const port = await freePortNumber();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    JWT_SECRET: jwtSecret,
    LOG_LEVEL: 'silent',
    RATE_LIMIT_MAX: '0',
    // Twenty patients book as fast as they can: the per-patient limits would stop the load, not the kill.
    BOOKING_MAX_OPEN: '10000',
    BOOKING_MAX_OPEN_PER_DOCTOR: '10000',
    SMTP_URL: '',
  };
  let server = startServer(env);
  t.after(() => {
    server.proc.kill('SIGKILL');
  });
  await waitReady(url);

  // Every slot is wanted by two patients at once: one must win, the other get 409.
  const day = new Date();
  day.setUTCHours(0, 0, 0, 0);
  const base = day.getTime() + 2 * 86_400_000;
  const created: { id: string; patient: number; startsAt: string }[] = [];
  let n = 0;
  let killed = false;
  const load = Promise.all(
    patients.map(async (_p, w) => {
      while (!killed) {
        const i = n++;
        const startsAt = new Date(base + Math.floor(i / 2) * 10 * 60_000).toISOString();
        try {
          const res: Response = await fetch(`${url}/api/v1/appointments`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${patients[w].token}` },
            body: JSON.stringify({ doctorId: doctor.id, startsAt }),
          });
          const body = (await res.json()) as { id: string; code?: string };
          if (res.status === 201) created.push({ id: body.id, patient: w, startsAt });
          else assert.ok(res.status === 409 || res.status === 503, `unexpected ${res.status} ${JSON.stringify(body)}`);
        } catch {
          if (!killed) await sleep(5); // a connection the kill cut
        }
      }
    }),
  );
  // Kill mid-load, once enough bookings were acknowledged (bounded in time on a slow machine).
  const until = Date.now() + 20_000;
  while (created.length < 15 && Date.now() < until) await sleep(20);
  server.proc.kill('SIGKILL');
  await server.exited;
  killed = true;
  await load;
  assert.ok(created.length > 5, `bookings succeeded before the kill (${created.length})`);

  server = startServer(env);
  await waitReady(url);
  for (const c of created) {
    const res = await fetch(`${url}/api/v1/appointments/${c.id}`, { headers: { authorization: `Bearer ${patients[c.patient].token}` } });
    assert.equal(res.status, 200, `appointment ${c.id} answered 201 before the kill and must exist`);
    assert.equal(((await res.json()) as { startsAt: string }).startsAt, c.startsAt);
  }
  const list = await fetch(`${url}/api/v1/appointments?limit=100`, { headers: { authorization: `Bearer ${doctor.token}` } });
  assert.equal(list.status, 200);
  const graceful = server.exited;
  server.proc.kill('SIGTERM');
  await graceful;

  const check = await openDatabase({ databaseUrl: databaseUrl || null, pgliteDir: pgliteDirFor(dataDir) });
  const doubles = await check.rows(
    sql`SELECT starts_at, count(*) FROM appointments WHERE doctor_id = ${doctor.id} AND status IN ('PENDING', 'CONFIRMED') GROUP BY starts_at HAVING count(*) > 1`,
  );
  const [{ total }] = await check.rows<{ total: number }>(
    sql`SELECT count(*)::int AS total FROM appointments WHERE doctor_id = ${doctor.id}`,
  );
  await check.close();
  assert.deepEqual(doubles, [], 'no slot is held twice');
  assert.ok(total >= created.length, `${total} stored ≥ ${created.length} acknowledged`);
  t.diagnostic(`${created.length} bookings acknowledged before SIGKILL, ${total} stored`);
});
