// Audited requests per second through the API, before and after the chain moved off the commit path
// (issue 23): the code of a given commit (default: the one before the sequencer, whose trigger held the
// chain-head lock from each audited transaction's first event to its commit) as one server, this tree as
// another, each on its own fresh database of one PostgreSQL server, measured alternately in one run.
// Audited write: PATCH /api/v1/patients/me (the change and its event in one transaction), at 1, 10 and 50
// clients, each client its own patient; audited read: GET /api/v1/me at 50 clients.
// Usage: tsx bench/audit-throughput.ts postgres://…/postgres [old-commit]
//        env: BENCH_SECONDS (per measurement, default 3)
import { execSync, spawn, type ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../src/platform/db/index.ts';
import { createScratchDatabase } from '../src/platform/db/scratch.ts';
import { AccessTokens } from '../src/platform/tokens.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const JWT_SECRET = randomBytes(32).toString('hex');

async function startServer(root: string, url: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench/bench-server.ts')], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: url,
      PORT: String(port),
      JWT_SECRET,
      RATE_LIMIT_MAX: '0',
      LOG_LEVEL: 'silent',
      METRICS_PORT: 'off',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'telecare-audit-bench-')),
      BENCH_CONTROL_PORT: String(port + 1),
      DATABASE_ROLE_CHECK: 'off',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 600; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/health/live`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`server in ${root} did not start`);
}

/** n patients with live sessions, straight through SQL; their access tokens. */
async function patients(url: string, n: number): Promise<string[]> {
  const db = await openDatabase({ databaseUrl: url, pgliteDir: '' });
  const tokens = new AccessTokens(JWT_SECRET, 86_400);
  try {
    const ids = (
      await db.rows<{ id: string }>(sql`
      INSERT INTO users (username, email, password_hash, firstname, lastname, role, email_verified_at)
      SELECT 'ab' || i, 'ab' || i || '@bench.test', 'x', 'Anna', 'Smith', 'PATIENT', now() FROM generate_series(1, ${n}) i
      RETURNING id`)
    ).map((r) => r.id);
    await db.rows(sql`INSERT INTO patients (id, date_of_birth, gender) SELECT id, date '1980-01-01', 'female' FROM users`);
    const out: string[] = [];
    for (const id of ids) {
      const sid = randomUUID();
      await db.rows(sql`INSERT INTO sessions (id, user_id, expires_at) VALUES (${sid}, ${id}, now() + interval '1 day')`);
      out.push(await tokens.sign({ sub: id, sid, role: 'PATIENT' }));
    }
    return out;
  } finally {
    await db.close();
  }
}

/** One autocannon instance in this process, one connection per client, each with its own token; requests/s answered 2xx. */
async function load(port: number, tokens: string[], method: 'GET' | 'PATCH', path: string, body?: string): Promise<number> {
  let next = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    connections: tokens.length,
    duration: SECONDS,
    method,
    body,
    headers: body ? { 'content-type': 'application/json' } : {},
    setupClient: (client: { setHeaders: (h: Record<string, string>) => void }) => {
      const token = tokens[next++ % tokens.length]!;
      client.setHeaders({ authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) });
    },
  });
  return Math.round(result['2xx'] / SECONDS);
}

async function main() {
  const adminUrl = process.argv[2];
  const oldCommit = process.argv[3] ?? '992de53';
  if (!adminUrl) throw new Error('usage: tsx bench/audit-throughput.ts postgres://…/postgres [old-commit]');
  const oldRoot = join(tmpdir(), `telecare-audit-old-${oldCommit}`);
  if (!existsSync(oldRoot)) {
    mkdirSync(oldRoot);
    execSync(`git archive ${oldCommit} | tar -x -C ${oldRoot}`, { cwd: ROOT, shell: '/bin/bash' });
    symlinkSync(join(ROOT, 'node_modules'), join(oldRoot, 'node_modules'));
  }
  const dbs = { before: await createScratchDatabase(adminUrl, 'tc_ab_old'), after: await createScratchDatabase(adminUrl, 'tc_ab_new') };
  const servers: ChildProcess[] = [];
  try {
    const ports = { before: 4711, after: 4721 };
    servers.push(await startServer(oldRoot, dbs.before.url, ports.before));
    servers.push(await startServer(ROOT, dbs.after.url, ports.after));
    const tokens = { before: await patients(dbs.before.url, 50), after: await patients(dbs.after.url, 50) };
    const rows: string[] = [];
    const body = JSON.stringify({ medicalHistory: 'Asthma since 2001' });
    for (const clients of [1, 10, 50]) {
      const b = await load(ports.before, tokens.before.slice(0, clients), 'PATCH', '/api/v1/patients/me', body);
      const a = await load(ports.after, tokens.after.slice(0, clients), 'PATCH', '/api/v1/patients/me', body);
      rows.push(`| audited writes/s (PATCH /patients/me), ${clients} clients | ${b} | ${a} | ${(a / Math.max(b, 1)).toFixed(2)} |`);
    }
    const b = await load(ports.before, tokens.before, 'GET', '/api/v1/me');
    const a = await load(ports.after, tokens.after, 'GET', '/api/v1/me');
    rows.push(`| audited reads/s (GET /me), 50 clients | ${b} | ${a} | ${(a / Math.max(b, 1)).toFixed(2)} |`);
    console.log(`\n${new Date().toISOString()}, ${SECONDS} s per measurement, before = ${oldCommit}, one PostgreSQL server\n`);
    console.log('| measurement | before | after | after ÷ before |\n| --- | --- | --- | --- |');
    for (const r of rows) console.log(r);
  } finally {
    for (const s of servers) s.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    await dbs.before.drop().catch(() => undefined);
    await dbs.after.drop().catch(() => undefined);
    rmSync(oldRoot, { recursive: true, force: true });
  }
}

await main();
