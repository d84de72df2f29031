// The SQL ceiling, in its own process: bare Fastify + node-postgres running, as named prepared
// statements, the very SQL texts Telecare runs on its hot paths (imported from the repos, so they cannot
// drift apart), with none of the application around them: no token verification (the payload is only
// decoded), no validation, no free-slot computation, no mail rendering, no audit chain in JS. Telecare ÷
// this is how close the application comes to what its own SQL costs on this stack.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyReply } from 'fastify';
import pg from 'pg';
import type { Prepared } from '../src/platform/db/index.ts';
import { SESSION_ACTOR } from '../src/modules/auth/repo.ts';
import { OWN_PATIENT_AUDITED } from '../src/modules/patients/repo.ts';
import { directoryQuery } from '../src/modules/doctors/repo.ts';
import { BOOKING_CHECK, bookingStatement, SLOT_DATA } from '../src/modules/appointments/repo.ts';
import { LOCK_ACCOUNT } from '../src/modules/auth/accounts.ts';
import { bookingReminderPart } from '../src/modules/notifications/repo.ts';
import { CHANNEL, NOTIFY } from '../src/platform/realtime.ts';

// Pipeline mode, as the app's pool: the booking's last statement leaves with its COMMIT.
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10, pipeline: true });
const q = async <T>(c: pg.Pool | pg.PoolClient, p: Prepared<T>, values: unknown[]) =>
  (await c.query({ name: p.name, text: p.text, values })).rows as T[];

/** The token's claims, decoded but not verified (the ceiling measures SQL, not the HMAC). */
const claimsOf = (auth: string | undefined) =>
  JSON.parse(Buffer.from((auth ?? '').split('.')[1] ?? '', 'base64url').toString() || '{}') as { sub: string; sid: string; role: string };

/**
 * With `x-bytes: N` a route answers a JSON body of N bytes (what Telecare answered for the same request)
 * instead of the rows it read: the same SQL and the same bytes on the wire, nothing else.
 */
const bodies = new Map<number, string>();
function sized(bytes: string | string[] | undefined, rows: unknown): unknown {
  const n = Number(bytes);
  if (!n) return rows;
  let b = bodies.get(n);
  if (!b) {
    b = `{"data":"${'x'.repeat(Math.max(0, n - 11))}"}`;
    bodies.set(n, b);
  }
  return b;
}

const app = Fastify({ logger: false });
const send = (reply: FastifyReply, bytes: string | string[] | undefined, rows: unknown) => {
  const body = sized(bytes, rows);
  return typeof body === 'string' ? reply.type('application/json; charset=utf-8').send(body) : reply.send(body);
};
app.get('/health/ready', async () => ({ status: 'ok' }));

// GET /me of a patient: the session check, then the profile read with its audit event.
app.get('/me', async (req, reply) => {
  const c = claimsOf(req.headers.authorization);
  const [user] = await q(pool, SESSION_ACTOR, [c.sid]);
  const [patient] = await q(pool, OWN_PATIENT_AUDITED, [
    c.sub,
    c.sub,
    'PATIENT',
    'patient.read',
    'patient',
    c.sub,
    c.sub,
    'SUCCESS',
    req.ip,
    randomUUID(),
  ]);
  return send(reply, req.headers['x-bytes'], { user, patient });
});

// GET /doctors?q=: the directory's prepared text for a q filter, first page.
const directory = directoryQuery(false, true, false);
app.get<{ Querystring: { q: string } }>('/doctors', async (req, reply) =>
  send(reply, req.headers['x-bytes'], { items: await q(pool, directory, [21, null, `%${req.query.q}%`, null, null, null]) }),
);

// GET /doctors/{id}/slots: the one slot-data statement, returned as read.
app.get<{ Params: { id: string }; Querystring: { from: string; to: string } }>('/doctors/:id/slots', async (req, reply) => {
  const [row] = await q(pool, SLOT_DATA, [req.params.id, new Date(req.query.from), new Date(req.query.to), null]);
  return send(reply, req.headers['x-bytes'], row);
});

// The booking's one INSERT as Telecare composes it (appointment, audit event, outbox mail, reminders).
const INSERT_BOOKING = bookingStatement(bookingReminderPart);

// POST /appointments: the booking transaction's statements, in order, with comparable parameters.
app.post<{ Body: { doctorId: string; startsAt: string } }>('/appointments', async (req, reply) => {
  const c = claimsOf(req.headers.authorization);
  const startsAt = new Date(req.body.startsAt);
  await q(pool, SESSION_ACTOR, [c.sid]);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await q(client, LOCK_ACCOUNT, [c.sub]);
    const [check] = await q(client, BOOKING_CHECK, [
      req.body.doctorId,
      startsAt,
      new Date(startsAt.getTime() + 1),
      null,
      c.sub,
      new Date(),
    ]);
    const id = randomUUID();
    const endsAt = new Date(startsAt.getTime() + check.slotMinutes * 60_000);
    const mail = { kind: 'appointment.booked', recipient: check.doctorContact, subject: 'New appointment', textBody: 'x'.repeat(400) };
    const row = { id, patientId: c.sub, doctorId: req.body.doctorId, startsAt, endsAt, status: 'PENDING' };
    const notified = q(client, NOTIFY, [
      CHANNEL,
      JSON.stringify({ o: 'ceiling', u: [c.sub, req.body.doctorId], e: { type: 'appointment.updated', appointment: row } }),
    ]);
    const inserted = q(client, INSERT_BOOKING, [
      id,
      c.sub,
      req.body.doctorId,
      startsAt,
      endsAt,
      'PENDING',
      null,
      c.sub,
      'PATIENT',
      'appointment.create',
      'appointment',
      id,
      c.sub,
      'SUCCESS',
      req.ip,
      randomUUID(),
      JSON.stringify([mail]),
      ['PATIENT', 'DOCTOR'],
      [1440, 1440],
      [new Date(startsAt.getTime() - 86_400_000), new Date(startsAt.getTime() - 86_400_000)],
    ]);
    await Promise.all([notified, inserted, client.query('COMMIT')]);
    return send(reply.code(201), req.headers['x-bytes'], row);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    return reply.code(409).send({ error: (err as Error).message });
  } finally {
    client.release();
  }
});

await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
// A close that fails is an unhandled rejection, which ends the process too.
process.on('SIGTERM', () => {
  void app
    .close()
    .then(() => pool.end())
    .then(() => process.exit(0));
});
