// Measures, once, what auditing reads costs: GET /api/v1/patients/{id} (a doctor reading a patient in
// their care, which writes one `patient.read` event per request) with auditing on, versus the same
// handler with the audit insert skipped through the benchmark-only switch. The app runs in this
// process (so the process-global switch applies); load comes from the autocannon CLI in a second
// process over loopback. Rounds alternate ON, OFF, OFF, ON so that drift (a growing audit table,
// JIT warm-up) falls on both sides equally.
// Usage: tsx bench/audit-overhead.ts [postgres://…/db]   (no URL: embedded PGlite in a temp dir)
//        env: BENCH_SECONDS (per round, default 10), BENCH_CONNECTIONS (default 10)
// Exported as runAuditOverheadBench() for bench/run.ts.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pino from 'pino';
import { sql } from 'drizzle-orm';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/platform/config.ts';
import { setAuditReadsSkippedForBenchmark } from '../src/platform/audit.ts';
import { callOk } from './lib.ts';

const run = promisify(execFile);
const AUTOCANNON = fileURLToPath(new URL('../node_modules/autocannon/autocannon.js', import.meta.url));

export interface AuditRound {
  audit: boolean;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  requests: number;
  non2xx: number;
  auditRowsWritten: number;
}

export interface AuditOverheadResult {
  engine: 'pglite' | 'postgres';
  seconds: number;
  connections: number;
  rounds: AuditRound[];
  auditOnRps: number;
  auditOffRps: number;
  /** audit-on throughput divided by audit-off throughput (1.0 = free). */
  ratio: number;
}

async function autocannon(url: string, token: string, seconds: number, connections: number) {
  const { stdout } = await run(
    process.execPath,
    [AUTOCANNON, '-j', '-c', String(connections), '-d', String(seconds), '-H', `authorization=Bearer ${token}`, url],
    {
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const r = JSON.parse(stdout);
  return {
    requestsPerSecond: Math.round(r.requests.average),
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
    requests: r.requests.total,
    non2xx: r.non2xx + r.errors + r.timeouts,
  };
}

export async function runAuditOverheadBench(
  opts: { databaseUrl?: string | null; seconds?: number; connections?: number } = {},
): Promise<AuditOverheadResult> {
  const seconds = opts.seconds ?? Number(process.env.BENCH_SECONDS ?? 10);
  const connections = opts.connections ?? Number(process.env.BENCH_CONNECTIONS ?? 10);
  const dataDir = mkdtempSync(join(tmpdir(), 'telecare-bench-audit-'));
  const config = {
    ...loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl } : {}) }),
    port: 0,
    jwtSecret: randomBytes(32).toString('hex'),
    accessTokenTtlSeconds: 3600,
    rateLimitMax: 0,
    argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
  };
  const app = await buildApp(config, { logger: pino({ level: 'silent' }), mailWorker: false });
  try {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const db = app.platform.database;

    const tag = randomBytes(4).toString('hex');
    const password = 'correct horse battery';
    const patient = await callOk(base, 'POST', '/api/v1/auth/register/patient', {
      username: `bp${tag}`,
      email: `bp${tag}@example.test`,
      password,
      firstname: 'Bench',
      lastname: 'Patient',
      dateOfBirth: '1980-01-01',
      gender: 'other',
      medicalHistory: 'Hypertension, treated since 2015.',
    });
    const doctor = await callOk(base, 'POST', '/api/v1/auth/register/doctor', {
      username: `bd${tag}`,
      email: `bd${tag}@example.test`,
      password,
      firstname: 'Bench',
      lastname: 'Doctor',
      specialization: 'General',
      licenseNumber: `L-${tag}`,
      timezone: 'UTC',
    });
    const patientId: string = patient.user.id;
    const doctorId: string = doctor.user.id;
    // Set-up shortcuts (verification and a care relationship), not what is measured.
    await db.rows(sql`UPDATE users SET email_verified_at = now() WHERE id IN (${patientId}, ${doctorId})`);
    await db.rows(sql`UPDATE doctors SET verification_status = 'VERIFIED', verified_at = now() WHERE id = ${doctorId}`);
    await db.rows(sql`INSERT INTO appointments (patient_id, doctor_id, starts_at, ends_at, status)
      VALUES (${patientId}, ${doctorId}, now() + interval '1 day', now() + interval '1 day 30 minutes', 'CONFIRMED')`);
    const { accessToken } = await callOk(base, 'POST', '/api/v1/auth/login', { login: `bd${tag}`, password });
    const url = `${base}/api/v1/patients/${patientId}`;
    const check = await callOk(base, 'GET', `/api/v1/patients/${patientId}`, undefined, accessToken);
    if (check.id !== patientId) throw new Error('set-up failed: the doctor cannot read the patient');

    const auditRows = async () => (await db.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM audit_events`))[0].n;
    await autocannon(url, accessToken, Math.min(3, seconds), connections); // warm-up, not counted

    const rounds: AuditRound[] = [];
    for (const auditOn of [true, false, false, true]) {
      setAuditReadsSkippedForBenchmark(!auditOn);
      const before = await auditRows();
      const r = await autocannon(url, accessToken, seconds, connections);
      rounds.push({ audit: auditOn, ...r, auditRowsWritten: (await auditRows()) - before });
    }
    setAuditReadsSkippedForBenchmark(false);

    const mean = (on: boolean) => {
      const rs = rounds.filter((r) => r.audit === on);
      return Math.round(rs.reduce((s, r) => s + r.requestsPerSecond, 0) / rs.length);
    };
    const auditOnRps = mean(true);
    const auditOffRps = mean(false);
    return {
      engine: db.engine,
      seconds,
      connections,
      rounds,
      auditOnRps,
      auditOffRps,
      ratio: Number((auditOnRps / auditOffRps).toFixed(3)),
    };
  } finally {
    setAuditReadsSkippedForBenchmark(false);
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await runAuditOverheadBench({ databaseUrl: process.argv[2] ?? process.env.DATABASE_URL ?? null });
  console.log(
    `GET /api/v1/patients/{id} as a doctor in care, ${result.engine}, ${result.connections} connections, ${result.seconds} s per round`,
  );
  for (const r of result.rounds) {
    console.log(
      `  audit ${r.audit ? 'ON ' : 'OFF'}  ${r.requestsPerSecond} req/s  p50 ${r.latencyP50Ms} ms  p99 ${r.latencyP99Ms} ms  ` +
        `requests ${r.requests}  non-2xx ${r.non2xx}  audit rows written ${r.auditRowsWritten}`,
    );
  }
  console.log(
    `audit ON ${result.auditOnRps} req/s, OFF ${result.auditOffRps} req/s, ratio ON/OFF ${result.ratio} ` +
      `(overhead ${((1 - result.ratio) * 100).toFixed(1)}%)`,
  );
  process.exit(0);
}
