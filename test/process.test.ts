// The service as deployments run it: the CLI and the server as child processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { createScratchDatabase } from '../src/platform/db/scratch.ts';
import { request as httpRequest } from 'node:http';
import { request, sleep } from './helpers.ts';

const ROOT = new URL('..', import.meta.url).pathname;

/** A fresh database URL on the test server, or null on the embedded engine. */
async function serverDatabase(t: { after: (fn: () => Promise<void>) => void }): Promise<string | null> {
  if (!process.env.TEST_DATABASE_URL) return null;
  const { url, drop } = await createScratchDatabase(process.env.TEST_DATABASE_URL, 'tc_proc');
  t.after(drop);
  return url;
}

function cli(env: Record<string, string>, ...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null>; output: () => string }> {
  const port = await freePort();
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`server exited: ${out}`);
    try {
      if ((await fetch(`${url}/health/ready`)).ok) return { child, url, exited, output: () => out };
    } catch { /* not listening yet */ }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`server did not become ready: ${out}`);
}

/** A registration whose body is sent in two halves: the second only when finish() is called. */
function slowRegistration(url: string, i: number) {
  const body = JSON.stringify({ username: `drain${i}`, email: `drain${i}@example.test`, password: 'correct horse battery', firstname: 'D', lastname: 'R', dateOfBirth: '1990-01-01', gender: 'other' });
  const half = Math.floor(body.length / 2);
  const u = new URL(`${url}/api/v1/auth/register/patient`);
  const req = httpRequest({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
  const status = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
    req.on('error', reject);
  });
  req.write(body.slice(0, half));
  return { status, finish: () => req.end(body.slice(half)) };
}

test('create-admin works on an empty DATA_DIR, refuses duplicates and bad arguments with one line and a non-zero exit', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'telecare-cli-'));
  const dbUrl = await serverDatabase(t);
  const env: Record<string, string> = { DATA_DIR: dataDir, ...(dbUrl ? { DATABASE_URL: dbUrl } : {}) };
  const ok = cli(env, 'create-admin', '--username', 'Root', '--email', 'root@example.test', '--password', 'a long admin password');
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /created admin root/);
  const dupName = cli(env, 'create-admin', '--username', 'root', '--email', 'other@example.test', '--password', 'a long admin password');
  assert.notEqual(dupName.status, 0);
  assert.match(dupName.stderr.trim(), /^error: username root is already taken$/);
  const dupEmail = cli(env, 'create-admin', '--username', 'root2', '--email', 'ROOT@example.test', '--password', 'a long admin password');
  assert.notEqual(dupEmail.status, 0);
  assert.match(dupEmail.stderr, /email .* already taken/);
  for (const args of [['create-admin', '--username', 'x'], ['create-admin', '--username', 'okname', '--email', 'bad', '--password', 'a long admin password'], ['create-admin', '--username', 'okname', '--email', 'a@b.cd', '--password', 'short'], ['create-admin', '--bogus'], ['frobnicate']]) {
    const r = cli(env, ...args);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, /^error: /);
  }
  assert.equal(cli(env, 'migrate').status, 0);
});

test('npm start serves the API; SIGTERM drains in-flight requests and exits 0; data survives a restart', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'telecare-srv-'));
  const dbUrl = await serverDatabase(t);
  const env: Record<string, string> = { DATA_DIR: dataDir, PUBLIC_URL: 'https://clinic.example', ...(dbUrl ? { DATABASE_URL: dbUrl } : {}) };
  assert.equal(cli(env, 'create-admin', '--username', 'boss', '--email', 'boss@example.test', '--password', 'a long admin password').status, 0);

  const s1 = await startServer(env);
  t.after(() => { s1.child.kill('SIGKILL'); });
  const login = await request(s1.url, 'POST', '/api/v1/auth/login', { body: { login: 'boss', password: 'a long admin password' } });
  assert.equal(login.status, 200);
  assert.equal(login.body.user.role, 'ADMIN');
  assert.equal(login.body.user.isEmailVerified, true);

  // Requests whose bodies are still arriving are in flight when SIGTERM lands; they must complete.
  const inflight = Array.from({ length: 3 }, (_, i) => slowRegistration(s1.url, i));
  await sleep(500);
  s1.child.kill('SIGTERM');
  await sleep(500);
  for (const r of inflight) r.finish();
  const results = await Promise.all(inflight.map((r) => r.status));
  assert.deepEqual(results, [201, 201, 201]);
  // New connections are refused once shutdown began.
  await assert.rejects(fetch(`${s1.url}/health/live`));
  assert.equal(await s1.exited, 0);
  assert.match(s1.output(), /shutting down/);

  const s2 = await startServer(env);
  t.after(() => { s2.child.kill('SIGKILL'); });
  assert.equal((await request(s2.url, 'POST', '/api/v1/auth/login', { body: { login: 'drain2', password: 'correct horse battery' } })).status, 200);
  // Without SMTP_URL the verification mails land as .eml files under DATA_DIR, with PUBLIC_URL links.
  let files: string[] = [];
  for (let i = 0; i < 100 && files.length < 3; i++) {
    files = existsSync(join(dataDir, 'mail')) ? readdirSync(join(dataDir, 'mail')) : [];
    await sleep(100);
  }
  assert.equal(files.length, 3);
  const eml = readFileSync(join(dataDir, 'mail', files[0]), 'utf8');
  assert.match(eml, /Subject: .*[Vv]erif/);
  assert.match(eml.replace(/=\r?\n/g, ''), /https:\/\/clinic\.example\/verify-email\?token=/);
  s2.child.kill('SIGTERM');
  assert.equal(await s2.exited, 0);
});
