// Measures, once, against two real server processes sharing one fresh PostgreSQL database:
//  1. the time from sending POST /conversations/{id}/messages to instance A until the message.created
//     frame arrives on a WebSocket connected to instance B (LISTEN/NOTIFY fan-out), over N messages;
//  2. the latency of message history page 1 versus page 1,000 (limit 100) over 100,000 seeded messages.
// Usage: tsx bench/realtime-latency.ts [postgres://postgres@127.0.0.1:5432/postgres]
// Exported as runRealtimeBench() for bench/run.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { WebSocket } from 'ws';
import { createScratchDatabase } from '../src/platform/db/scratch.ts';
import { call } from './lib.ts';

export interface RealtimeBenchResult {
  crossInstance: { messages: number; p50Ms: number; p99Ms: number; maxMs: number; postP50Ms: number };
  history: {
    messages: number;
    pageSize: number;
    page1: { p50Ms: number; p99Ms: number };
    page1000: { p50Ms: number; p99Ms: number };
    repeats: number;
  };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Number(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)].toFixed(2));
};

async function startServer(env: Record<string, string>, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGTERM');
  throw new Error(`server on port ${port} did not become ready`);
}

async function person(base: string, db: pg.Client, role: 'patient' | 'doctor') {
  const username = `b${role[0]}${randomBytes(5).toString('hex')}`;
  const password = 'correct horse battery';
  const common = { username, email: `${username}@example.test`, password, firstname: 'Bench', lastname: role };
  const extra =
    role === 'patient'
      ? { dateOfBirth: '1980-01-01', gender: 'other' }
      : { specialization: 'General', licenseNumber: `L-${username}`, timezone: 'UTC' };
  const reg = await call(base, 'POST', `/api/v1/auth/register/${role}`, { ...common, ...extra });
  if (reg.status !== 201) throw new Error(`register failed: ${JSON.stringify(reg.body)}`);
  const id = reg.body.user.id as string;
  // No mailbox here: verify the address (and the doctor's credentials) directly.
  await db.query('UPDATE users SET email_verified_at = now() WHERE id = $1', [id]);
  if (role === 'doctor') await db.query(`UPDATE doctors SET verification_status = 'VERIFIED', verified_at = now() WHERE id = $1`, [id]);
  const login = await call(base, 'POST', '/api/v1/auth/login', { login: username, password });
  return { id, token: login.body.accessToken as string };
}

export async function runRealtimeBench(
  adminUrl = 'postgres://postgres@127.0.0.1:5432/postgres',
  messages = 1000,
  seeded = 100_000,
  repeats = 200,
): Promise<RealtimeBenchResult> {
  const scratch = await createScratchDatabase(adminUrl, 'bench_rt');
  const u = new URL(scratch.url);
  const dataDir = mkdtempSync(join(tmpdir(), 'telecare-bench-'));
  const env = { DATABASE_URL: u.toString(), DATA_DIR: dataDir, JWT_SECRET: randomBytes(32).toString('hex'), RATE_LIMIT_MAX: '0' };
  const children: ChildProcess[] = [];
  const db = new pg.Client({ connectionString: u.toString() });
  try {
    children.push(await startServer(env, 39101)); // A (migrates the database first)
    children.push(await startServer(env, 39102)); // B
    const A = 'http://127.0.0.1:39101';
    const B = 'http://127.0.0.1:39102';
    await db.connect();
    const patient = await person(A, db, 'patient');
    const doctor = await person(A, db, 'doctor');
    const appt = `INSERT INTO appointments (patient_id, doctor_id, starts_at, ends_at, status)
      VALUES ($1, $2, now() + interval '1 day', now() + interval '1 day 30 minutes', 'CONFIRMED')`;
    await db.query(appt, [patient.id, doctor.id]);

    // 1. Cross-instance delivery, one message in flight at a time.
    const ws = new WebSocket('ws://127.0.0.1:39102/api/v1/ws');
    const arrivals = new Map<string, number>();
    const waiting = new Map<string, () => void>();
    const bodies = new Map<string, string>();
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => ws.send(JSON.stringify({ type: 'auth', accessToken: doctor.token })));
      ws.on('message', (data) => {
        const f = JSON.parse(data.toString());
        if (f.type === 'ready') resolve();
        if (f.type === 'message.created') {
          arrivals.set(f.message.body, performance.now());
          waiting.get(f.message.body)?.();
        }
      });
      ws.once('close', (code) => reject(new Error(`socket closed ${code}`)));
    });
    const latencies: number[] = [];
    const posts: number[] = [];
    for (let i = 0; i < messages + 20; i++) {
      const body = `bench ${i} ${randomBytes(6).toString('hex')}`;
      const arrived = new Promise<void>((r) => waiting.set(body, r));
      const t0 = performance.now();
      const res = await call(A, 'POST', `/api/v1/conversations/${doctor.id}/messages`, { body }, patient.token);
      const t1 = performance.now();
      if (res.status !== 201) throw new Error(`send failed: ${res.status}`);
      await Promise.race([
        arrived,
        new Promise((_, rej) => setTimeout(() => rej(new Error('message not delivered on B within 5 s')), 5000)),
      ]);
      bodies.set(body, res.body.id);
      if (i >= 20) {
        // the first 20 warm up connections and JIT
        latencies.push(arrivals.get(body)! - t0);
        posts.push(t1 - t0);
      }
      waiting.delete(body);
    }
    ws.close();

    // 2. History depth: 100,000 messages between a second pair, seeded in SQL.
    const p2 = await person(A, db, 'patient');
    const d2 = await person(A, db, 'doctor');
    await db.query(appt, [p2.id, d2.id]);
    await db.query(
      `INSERT INTO messages (doctor_id, patient_id, sender_id, recipient_id, body, created_at)
      SELECT $1::uuid, $2::uuid, CASE WHEN g % 2 = 0 THEN $1::uuid ELSE $2::uuid END, CASE WHEN g % 2 = 0 THEN $2::uuid ELSE $1::uuid END,
             'seeded message ' || g, now() - (($3 - g) * interval '1 second')
      FROM generate_series(1, $3) g`,
      [d2.id, p2.id, seeded],
    );
    await db.query(
      `INSERT INTO conversations (doctor_id, patient_id, last_message_id, last_seq)
      SELECT doctor_id, patient_id, id, seq FROM messages WHERE doctor_id = $1 AND patient_id = $2 ORDER BY seq DESC LIMIT 1`,
      [d2.id, p2.id],
    );
    await db.query('ANALYZE messages');
    const path = `/api/v1/conversations/${d2.id}/messages?limit=100`;
    let cursor: string | null = null;
    let page1000: string | null = null;
    for (let page = 1; page <= 1000; page++) {
      const res = await call(B, 'GET', cursor ? `${path}&cursor=${cursor}` : path, undefined, p2.token);
      if (res.status !== 200 || res.body.items.length !== 100) throw new Error(`page ${page}: ${res.status}`);
      if (page === 999) page1000 = res.body.nextCursor;
      cursor = res.body.nextCursor;
    }
    if (cursor !== null) throw new Error('expected exactly 1,000 pages');
    const t1s: number[] = [];
    const t1000s: number[] = [];
    for (let i = 0; i < repeats; i++) {
      let t = performance.now();
      await call(B, 'GET', path, undefined, p2.token);
      t1s.push(performance.now() - t);
      t = performance.now();
      const last = await call(B, 'GET', `${path}&cursor=${page1000}`, undefined, p2.token);
      t1000s.push(performance.now() - t);
      if (last.body.nextCursor !== null || last.body.items.at(-1).body !== 'seeded message 1')
        throw new Error('page 1,000 is not the oldest page');
    }
    return {
      crossInstance: {
        messages,
        p50Ms: pct(latencies, 50),
        p99Ms: pct(latencies, 99),
        maxMs: pct(latencies, 100),
        postP50Ms: pct(posts, 50),
      },
      history: {
        messages: seeded,
        pageSize: 100,
        page1: { p50Ms: pct(t1s, 50), p99Ms: pct(t1s, 99) },
        page1000: { p50Ms: pct(t1000s, 50), p99Ms: pct(t1000s, 99) },
        repeats,
      },
    };
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
    await db.end().catch(() => undefined);
    await scratch.drop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runRealtimeBench(process.argv[2]);
  console.log(JSON.stringify(result, null, 2));
}
