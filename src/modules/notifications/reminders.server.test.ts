// Server engine only: several instances of the API on one PostgreSQL database, each polling for due
// reminders (and the tests running extra passes at once on both): every reminder is mailed exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { build, createPatient, mailbox, sleep, type Person, type TestApp } from '../../../test/helpers.ts';
import { book, pinNow, workingDoctor } from '../../../test/fixtures/booking.ts';
import { runDueReminders } from './service.ts';
import { outboxDrained } from '../../../test/fixtures/notifications.ts';

const pinAll = (apps: TestApp[], iso: string) => {
  for (const x of apps) pinNow(x, iso);
};

async function remindersSettled(app: TestApp, dueBefore: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await app.database.rows<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM reminder_jobs WHERE done_at IS NULL AND due_at <= ${dueBefore}::timestamptz`,
    );
    if (row.n === 0) return;
    if (Date.now() > deadline) throw new Error(`${row.n} due reminders still open after ${timeoutMs} ms`);
    await sleep(25);
  }
}

/** Reminder mails received per (recipient, appointment, offset text). */
function received(people: Person[]): Map<string, number> {
  const emails = new Set(people.map((p) => p.email.toLowerCase()));
  const counts = new Map<string, number>();
  for (const m of mailbox.mails) {
    if (!emails.has(m.to) || !/^Reminder/.test(m.subject)) continue;
    const id = /appointments\/([0-9a-f-]{36})/.exec(m.text)?.[1];
    const offset = /begins in ([\w ]+)\./.exec(m.text)?.[1];
    const key = `${m.to} ${id} ${offset}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

test('two instances polling every 20 ms, plus concurrent passes and a restart: each reminder mailed exactly once', async (t) => {
  // 24 h and 3 h ahead, so both marks of all 8 appointments (08:00–09:30Z) fall due before the first one starts.
  const cfg = { reminderPollMs: 20, reminderOffsetsMinutes: [1440, 180] };
  const a = await build(t, cfg);
  const b = await build(t, cfg, { databaseUrl: a.databaseUrl! });
  pinAll([a, b], '2027-01-04T07:00:00.000Z');
  const doctors = [await workingDoctor(a), await workingDoctor(b)];
  const patients = await Promise.all([0, 1, 2, 3].map((i) => createPatient(i % 2 ? a : b)));
  const ids: string[] = [];
  // 8 appointments on 2027-01-06 between 08:00Z and 09:30Z, booked through both instances.
  for (let i = 0; i < 8; i++) {
    const via = i % 2 ? a : b;
    const res = await book(
      via,
      patients[i % 4],
      doctors[i % 2].id,
      new Date(Date.parse('2027-01-06T08:00:00.000Z') + Math.floor(i / 2) * 1_800_000).toISOString(),
    );
    assert.equal(res.status, 201, res.text);
    ids.push(res.body.id);
  }
  const people = [...doctors, ...patients];

  // Past every 24-hour mark (the last is 2027-01-05T09:30Z), before every 3-hour mark.
  pinAll([a, b], '2027-01-05T09:45:00.000Z');
  await Promise.all([...Array(5)].flatMap(() => [runDueReminders(a.app.platform), runDueReminders(b.app.platform)]));
  await remindersSettled(a, '2027-01-05T09:45:00.000Z');
  await outboxDrained(a);
  let counts = received(people);
  assert.equal(counts.size, 16, 'one 24-hour reminder per appointment and party');
  assert.ok(
    [...counts.values()].every((n) => n === 1),
    JSON.stringify([...counts]),
  );

  // Instance B restarts (a new process on the same database) before the 3-hour marks (05:00–06:30Z) come due.
  await b.close();
  const c = await build(t, cfg, { databaseUrl: a.databaseUrl! });
  pinAll([a, c], '2027-01-06T07:00:00.000Z');
  await Promise.all([...Array(5)].flatMap(() => [runDueReminders(a.app.platform), runDueReminders(c.app.platform)]));
  await remindersSettled(a, '2027-01-06T07:00:00.000Z');
  await outboxDrained(a);
  counts = received(people);
  assert.equal(counts.size, 32, '24-hour and 3-hour reminders per appointment and party');
  assert.ok(
    [...counts.values()].every((n) => n === 1),
    JSON.stringify([...counts]),
  );
  const [queued] = await a.database.rows<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM mail_outbox WHERE kind = 'appointment.reminder'`,
  );
  assert.equal(queued.n, 32);
  const [sent] = await a.database.rows<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM reminder_jobs WHERE appointment_id = ANY(${`{${ids.join(',')}}`}::uuid[]) AND outcome = 'SENT'`,
  );
  assert.equal(sent.n, 32);
  // The restarted instance leaves before the first one drops the shared database.
  await c.close();
  await a.close();
});
