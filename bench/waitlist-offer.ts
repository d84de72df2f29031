// Measures whether offering a freed slot to the waitlist costs O(log n) in the number of waiting patients:
// the latency of POST /appointments/{id}/cancel (which, in its transaction, finds the first in line and
// holds the slot for them) with 1 waiting patient versus 1,000, on the embedded engine and, given a URL,
// on a PostgreSQL server (in a fresh database it creates and drops). Two 1,000 cases:
//   all      every window contains the freed slot: the earliest in line gets it;
//   last     the 999 earlier in line wait for other weeks, only the last one's window contains the slot:
//            a scan in line order would read 999 rows first; the KNN scan of the GiST index does not.
// The three doctors are measured interleaved (round robin), so machine noise hits them alike.
// Usage: tsx bench/waitlist-offer.ts [postgres://postgres@127.0.0.1:5432/postgres]
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/platform/config.ts';
import { openAndMigrate, type Database } from '../src/platform/db/index.ts';
import { createScratchDatabase } from '../src/platform/db/scratch.ts';
import { AccessTokens } from '../src/platform/tokens.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
const WARMUP = 5;
const WAITING = 1000;
const DAY = 86_400_000;
const SECRET = 'waitlist-bench-secret-0123456789abcdef0123456789';

interface Case {
  name: string;
  doctorId: string;
  token: string;
  appointments: string[];
  expected: string;
}

async function insertUsers(db: Database, prefix: string, n: number, role: string): Promise<string[]> {
  const rows = await db.rows<{ id: string }>(sql`
    INSERT INTO users (username, email, password_hash, firstname, lastname, role, email_verified_at)
    SELECT ${prefix} || i, ${prefix} || i || '@bench.test', 'x', 'Bench', 'User' || i, ${role}, now()
    FROM generate_series(1, ${n}) AS i ORDER BY i RETURNING id`);
  return rows.map((r) => r.id);
}

async function seed(db: Database, tokens: AccessTokens, base: number): Promise<Case[]> {
  const doctorIds = await insertUsers(db, 'wdoc', 3, 'DOCTOR');
  await db.rows(sql`INSERT INTO doctors (id, specialization, license_number, timezone, slot_minutes, min_notice_minutes, max_advance_days, verification_status, verified_at)
    SELECT id, 'General practice', 'LIC-' || username, 'UTC', 30, 0, 730, 'VERIFIED', now() FROM users WHERE role = 'DOCTOR'`);
  await db.rows(sql`INSERT INTO availability_rules (doctor_id, weekday, start_minute, end_minute)
    SELECT d.id, w, 0, 1440 FROM users d, generate_series(1, 7) w WHERE d.role = 'DOCTOR'`);
  const holders = await insertUsers(db, 'whold', 3, 'PATIENT');
  const waiting = await insertUsers(db, 'wwait', 1 + 2 * WAITING, 'PATIENT');
  await db.rows(
    sql`INSERT INTO patients (id, date_of_birth, gender) SELECT id, date '1980-01-01', 'female' FROM users WHERE role = 'PATIENT'`,
  );

  const window = { from: new Date(base), to: new Date(base + 30 * DAY) };
  const elsewhere = { from: new Date(base + 40 * DAY), to: new Date(base + 60 * DAY) };
  const cases: Case[] = [];
  const groups = [
    { name: '1 waiting', patients: waiting.slice(0, 1), windows: () => window },
    { name: '1,000 waiting, all for this time', patients: waiting.slice(1, 1 + WAITING), windows: () => window },
    {
      name: '1,000 waiting, only the last for this time',
      patients: waiting.slice(1 + WAITING),
      windows: (i: number) => (i === WAITING - 1 ? window : elsewhere),
    },
  ];
  for (const [g, group] of groups.entries()) {
    const doctorId = doctorIds[g];
    // One entry per statement, in line order, so seq follows the array.
    for (const [i, patientId] of group.patients.entries()) {
      const w = group.windows(i);
      await db.rows(sql`INSERT INTO waitlist_entries (patient_id, doctor_id, from_at, to_at, status)
        VALUES (${patientId}, ${doctorId}, ${w.from.toISOString()}, ${w.to.toISOString()}, 'WAITING')`);
    }
    const appointments: string[] = [];
    for (let r = 0; r < ROUNDS + WARMUP; r++) {
      const start = new Date(base + 3_600_000 + r * 1_800_000);
      const [row] = await db.rows<{ id: string }>(sql`INSERT INTO appointments (patient_id, doctor_id, starts_at, ends_at, status)
        VALUES (${holders[g]}, ${doctorId}, ${start.toISOString()}, ${new Date(start.getTime() + 1_800_000).toISOString()}, 'CONFIRMED') RETURNING id`);
      appointments.push(row.id);
    }
    const sid = randomUUID();
    await db.rows(sql`INSERT INTO sessions (id, user_id, expires_at) VALUES (${sid}, ${doctorId}, now() + interval '1 day')`);
    const token = await tokens.sign({ sub: doctorId, sid, role: 'DOCTOR' });
    const expected = group.name.includes('last') ? group.patients[WAITING - 1] : group.patients[0];
    cases.push({ name: group.name, doctorId, token, appointments, expected });
  }
  await db.rows(sql`ANALYZE`);
  return cases;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

async function measure(engine: string, db: Database, url: string | null) {
  const dataDir = mkdtempSync(join(tmpdir(), 'waitlist-bench-'));
  const config = {
    ...loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', JWT_SECRET: SECRET }),
    databaseUrl: url,
    rateLimitMax: 0,
    embeddedVacuumIntervalMinutes: 0,
  };
  const tomorrow = new Date();
  tomorrow.setUTCHours(0, 0, 0, 0);
  const cases = await seed(db, new AccessTokens(SECRET, 86_400), tomorrow.getTime() + DAY);
  const app = await buildApp(config, { database: db, logger: pino({ level: 'silent' }), mailWorker: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const times = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  try {
    for (let r = 0; r < ROUNDS + WARMUP; r++) {
      for (const c of cases) {
        const t0 = performance.now();
        const res = await fetch(`${base}/api/v1/appointments/${c.appointments[r]}/cancel`, {
          method: 'POST',
          headers: { authorization: `Bearer ${c.token}` },
        });
        const ms = performance.now() - t0;
        if (res.status !== 200) throw new Error(`cancel → ${res.status} ${await res.text()}`);
        const offers = await db.rows<{ patient_id: string }>(
          sql`SELECT patient_id FROM waitlist_offers WHERE doctor_id = ${c.doctorId} AND status = 'OFFERED'`,
        );
        if (offers.length !== 1 || offers[0].patient_id !== c.expected) throw new Error(`${c.name}: wrong offer ${JSON.stringify(offers)}`);
        if (r >= WARMUP) times.get(c.name)!.push(ms);
        // Back to the same line for the next round (not timed).
        await db.rows(sql`DELETE FROM waitlist_offers WHERE doctor_id = ${c.doctorId}`);
        await db.rows(sql`DELETE FROM appointments WHERE doctor_id = ${c.doctorId} AND status = 'HELD'`);
        await db.rows(sql`UPDATE waitlist_entries SET status = 'WAITING' WHERE doctor_id = ${c.doctorId} AND status = 'OFFERED'`);
      }
    }
    const last = cases[2];
    const slot = new Date(tomorrow.getTime() + DAY + 3_600_000).toISOString();
    const slotEnd = new Date(tomorrow.getTime() + DAY + 5_400_000).toISOString();
    const plan = await db.rows<Record<string, string>>(sql`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF)
      SELECT w.id FROM waitlist_entries w
      WHERE w.status = 'WAITING' AND w.doctor_id = ${last.doctorId}
        AND tstzrange(w.from_at, w.to_at, '[]') @> tstzrange(${slot}::timestamptz, ${slotEnd}::timestamptz, '[]')
      ORDER BY w.seq <-> 0::bigint LIMIT 1`);
    const [one, all, lastOnly] = cases.map((c) => times.get(c.name)!);
    const med = (xs: number[]) => pct(xs, 50);
    console.log(`\n${engine}: cancellation latency (ms) over ${ROUNDS} rounds each, after ${WARMUP} warm-up rounds`);
    for (const c of cases) {
      const xs = times.get(c.name)!;
      console.log(`  ${c.name.padEnd(44)} median ${med(xs).toFixed(2)}  p90 ${pct(xs, 90).toFixed(2)}`);
    }
    console.log(
      `  ratio 1,000 (all) ÷ 1: ${(med(all) / med(one)).toFixed(2)}; 1,000 (only the last) ÷ 1: ${(med(lastOnly) / med(one)).toFixed(2)}`,
    );
    console.log('  plan of the next-in-line query, 1,000 waiting, only the last for this time:');
    for (const row of plan) console.log(`    ${Object.values(row)[0]}`);
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const adminUrl = process.argv[2] ?? process.env.DATABASE_URL;
const embedded = await openAndMigrate({ databaseUrl: null, pgliteDir: 'memory://' });
try {
  await measure('embedded (PGlite)', embedded, null);
} finally {
  await embedded.close();
}
if (adminUrl) {
  const scratch = await createScratchDatabase(adminUrl, 'waitlist_bench');
  const db = await openAndMigrate({ databaseUrl: scratch.url, pgliteDir: '' });
  try {
    await measure('PostgreSQL', db, scratch.url);
  } finally {
    await db.close();
    await scratch.drop();
  }
}
