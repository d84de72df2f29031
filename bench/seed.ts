// Seeds a benchmark database straight through SQL (before the server starts): 10,000 verified doctors,
// booking doctors with round-the-clock 10-minute slots (migration 0010's minimum), 50 booking patients, one conversation of 100,000
// messages, and 5,000 patients with live sessions for the WebSocket scenario.
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Database } from '../src/platform/db/index.ts';
import { AccessTokens } from '../src/platform/tokens.ts';

export const PASSWORD = 'bench password 123';
export const DOCTORS = 10_000;
export const MESSAGES = 100_000;
export const WS_USERS = 5_000;
export const BOOKING_PATIENTS = 50;
const SPECIALIZATIONS = [
  'Cardiology',
  'Dermatology',
  'Neurology',
  'Pediatrics',
  'Psychiatry',
  'Oncology',
  'Radiology',
  'Urology',
  'Orthopedics',
  'General practice',
];

export interface Seeded {
  bookingDoctorId: string;
  rawDoctorId: string;
  slotsDoctorId: string;
  patients: { id: string; token: string }[];
  loginName: string;
  msgDoctor: { id: string; token: string };
  msgPatient: { id: string; token: string };
  wsUsers: { id: string; token: string }[];
}

async function one<T>(db: Database, q: ReturnType<typeof sql>): Promise<T> {
  return (await db.rows<T>(q))[0];
}

/** Users of one role from a series; returns their ids in order. */
async function users(db: Database, prefix: string, n: number, role: string, hash: string): Promise<string[]> {
  const rows = await db.rows<{ id: string }>(sql`
    INSERT INTO users (username, email, password_hash, firstname, lastname, role, email_verified_at)
    SELECT ${prefix} || i, ${prefix} || i || '@bench.test', ${hash},
           (ARRAY['Anna','Ben','Chloe','David','Emma','Felix','Grace','Hugo','Iris','Jonas'])[1 + i % 10],
           (ARRAY['Smith','Meyer','Garcia','Rossi','Novak','Dubois','Jansen','Silva','Kowalski','Berg'])[1 + (i / 10) % 10] || i,
           ${role}, now()
    FROM generate_series(1, ${n}) AS i
    RETURNING id`);
  return rows.map((r) => r.id);
}

async function sessionsFor(db: Database, ids: string[], role: string, tokens: AccessTokens): Promise<{ id: string; token: string }[]> {
  const out: { id: string; token: string }[] = [];
  const sids = ids.map(() => randomUUID());
  for (let i = 0; i < ids.length; i += 1000) {
    const part = ids.slice(i, i + 1000);
    await db.rows(sql`INSERT INTO sessions (id, user_id, expires_at)
      SELECT s::uuid, u::uuid, now() + interval '1 day'
      FROM unnest(${`{${sids.slice(i, i + 1000).join(',')}}`}::text[], ${`{${part.join(',')}}`}::text[]) AS t(s, u)`);
  }
  for (let i = 0; i < ids.length; i++)
    out.push({ id: ids[i], token: await tokens.sign({ sub: ids[i], sid: sids[i], role: role as 'PATIENT' }) });
  return out;
}

export async function seed(db: Database, hash: string, jwtSecret: string): Promise<Seeded> {
  const tokens = new AccessTokens(jwtSecret, 86_400);
  const doctorIds = await users(db, 'doc', DOCTORS, 'DOCTOR', hash);
  await db.rows(sql`
    INSERT INTO doctors (id, specialization, license_number, bio, timezone, slot_minutes, min_notice_minutes, max_advance_days, verification_status, verified_at)
    SELECT u.id, (${`{${SPECIALIZATIONS.join(',').replace(/ /g, '\\ ')}}`}::text[])[1 + (row_number() OVER (ORDER BY u.username))::int % 10],
           'LIC-' || u.username, 'Experienced clinician; speaks English and German. Interests: prevention, chronic care.',
           'UTC', 10, 0, 730, 'VERIFIED', now()
    FROM users u WHERE u.role = 'DOCTOR'`);
  const [bookingDoctorId, rawDoctorId, slotsDoctorId, msgDoctorId] = doctorIds;
  // Round-the-clock availability for the booking doctors; office hours (30-minute slots) for the slots one.
  for (const id of [bookingDoctorId, rawDoctorId]) {
    await db.rows(
      sql`INSERT INTO availability_rules (doctor_id, weekday, start_minute, end_minute) SELECT ${id}, d, 0, 1440 FROM generate_series(1, 7) d`,
    );
  }
  await db.rows(sql`UPDATE doctors SET slot_minutes = 30 WHERE id = ${slotsDoctorId}`);
  await db.rows(
    sql`INSERT INTO availability_rules (doctor_id, weekday, start_minute, end_minute) SELECT ${slotsDoctorId}, d, 480, 1080 FROM generate_series(1, 7) d`,
  );

  const patientIds = await users(db, 'pat', BOOKING_PATIENTS + 1 + WS_USERS, 'PATIENT', hash);
  await db.rows(
    sql`INSERT INTO patients (id, date_of_birth, gender) SELECT id, date '1980-01-01', 'female' FROM users WHERE role = 'PATIENT'`,
  );
  const patients = await sessionsFor(db, patientIds.slice(0, BOOKING_PATIENTS), 'PATIENT', tokens);
  const msgPatientId = patientIds[BOOKING_PATIENTS];
  const wsUsers = await sessionsFor(db, patientIds.slice(BOOKING_PATIENTS + 1), 'PATIENT', tokens);
  const [msgPatient] = await sessionsFor(db, [msgPatientId], 'PATIENT', tokens);
  const [msgDoctor] = await sessionsFor(db, [msgDoctorId], 'DOCTOR', tokens);

  // The care relationship of the conversation, then its 100,000 messages in one statement.
  await db.rows(sql`INSERT INTO appointments (patient_id, doctor_id, starts_at, ends_at, status)
    VALUES (${msgPatientId}, ${msgDoctorId}, now() - interval '2 days', now() - interval '2 days' + interval '30 minutes', 'COMPLETED')`);
  await db.rows(sql`INSERT INTO messages (doctor_id, patient_id, sender_id, recipient_id, body, created_at)
    SELECT ${msgDoctorId}, ${msgPatientId},
           CASE WHEN i % 2 = 0 THEN ${msgDoctorId}::uuid ELSE ${msgPatientId}::uuid END,
           CASE WHEN i % 2 = 0 THEN ${msgPatientId}::uuid ELSE ${msgDoctorId}::uuid END,
           'Message number ' || i || ': how are you feeling today after the new dosage?',
           now() - interval '30 days' + i * interval '1 second'
    FROM generate_series(1, ${MESSAGES}) i`);
  const last = await one<{ id: string; seq: string }>(db, sql`SELECT id, seq FROM messages ORDER BY seq DESC LIMIT 1`);
  await db.rows(
    sql`INSERT INTO conversations (doctor_id, patient_id, last_message_id, last_seq) VALUES (${msgDoctorId}, ${msgPatientId}, ${last.id}, ${last.seq})`,
  );
  await db.rows(sql`ANALYZE`);
  return { bookingDoctorId, rawDoctorId, slotsDoctorId, patients, loginName: 'pat1', msgDoctor, msgPatient, wsUsers };
}
