// The service as deployments run it: the CLI and the server as child processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { createScratchDatabase } from '../src/platform/db/scratch.ts';
import { request as httpRequest } from 'node:http';
import { request, sleep } from './helpers.ts';
import { compiled } from './fixtures/compiled.ts';
import { seedDataDir } from './fixtures/pglite-template.ts';

const ROOT = new URL('..', import.meta.url).pathname;

/** A fresh database URL on the test server, or null on the embedded engine. */
async function serverDatabase(t: { after: (fn: () => Promise<void>) => void }): Promise<string | null> {
  if (!process.env.TEST_DATABASE_URL) return null;
  const { url, drop } = await createScratchDatabase(process.env.TEST_DATABASE_URL, 'tc_proc');
  t.after(drop);
  return url;
}

function cli(env: Record<string, string>, ...args: string[]) {
  return spawnSync(process.execPath, [...compiled('cli'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function startServer(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null>; output: () => string }> {
  const port = await freePort();
  let out = '';
  const child = spawn(process.execPath, compiled('server'), {
    cwd: ROOT,
    // KEEP_ALIVE_TIMEOUT_MS: this test's spawnSync calls (the CLI beside the server) block its event loop for
    // seconds, so fetch cannot see the server close an idle pooled socket at production's 10 s and writes the
    // next request on it ("other side closed"). Idle sockets outlive any test here.
    env: { ...process.env, LOG_LEVEL: 'info', KEEP_ALIVE_TIMEOUT_MS: '600000', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  // A generous deadline: creating an embedded database on a loaded machine takes minutes.
  for (let i = 0; i < 3000; i++) {
    if (child.exitCode !== null) throw new Error(`server exited: ${out}`);
    try {
      if ((await fetch(`${url}/health/ready`)).ok) return { child, url, exited, output: () => out };
    } catch {
      /* not listening yet */
    }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`server did not become ready: ${out}`);
}

/** A registration whose body is sent in two halves: the second only when finish() is called. */
function slowRegistration(url: string, i: number) {
  const body = JSON.stringify({
    username: `drain${i}`,
    email: `drain${i}@example.test`,
    password: 'correct horse battery',
    firstname: 'D',
    lastname: 'R',
    dateOfBirth: '1990-01-01',
    gender: 'other',
  });
  const half = Math.floor(body.length / 2);
  const u = new URL(`${url}/api/v1/auth/register/patient`);
  const req = httpRequest({
    host: u.hostname,
    port: u.port,
    path: u.pathname,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
  });
  const status = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
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
  for (const args of [
    ['create-admin', '--username', 'x'],
    ['create-admin', '--username', 'okname', '--email', 'bad', '--password', 'a long admin password'],
    ['create-admin', '--username', 'okname', '--email', 'a@b.cd', '--password', 'short'],
    ['create-admin', '--bogus'],
    ['frobnicate'],
  ]) {
    const r = cli(env, ...args);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, /^error: /);
  }
  assert.equal(cli(env, 'migrate').status, 0);
});

test('npm start serves the API; SIGTERM drains in-flight requests and exits 0; data survives a restart', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'telecare-srv-'));
  const dbUrl = await serverDatabase(t);
  // The first start on an empty DATA_DIR is the first and third tests' subject; this one starts migrated.
  if (!dbUrl) await seedDataDir(dataDir);
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    PUBLIC_URL: 'https://clinic.example',
    ...(dbUrl ? { DATABASE_URL: dbUrl } : {}),
  };
  assert.equal(
    cli(env, 'create-admin', '--username', 'boss', '--email', 'boss@example.test', '--password', 'a long admin password').status,
    0,
  );

  const s1 = await startServer(env);
  t.after(() => {
    s1.child.kill('SIGKILL');
  });
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
  t.after(() => {
    s2.child.kill('SIGKILL');
  });
  assert.equal(
    (await request(s2.url, 'POST', '/api/v1/auth/login', { body: { login: 'drain2', password: 'correct horse battery' } })).status,
    200,
  );
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

/** Entries under `dir` that anyone but the owner may read, write or enter. */
function notPrivate(dir: string): string[] {
  const out: string[] = [];
  const visit = (p: string) => {
    const st = lstatSync(p);
    if (st.mode & 0o077) out.push(`${(st.mode & 0o777).toString(8)} ${p}`);
    if (st.isDirectory()) for (const name of readdirSync(p)) visit(join(p, name));
  };
  visit(dir);
  return out;
}

function serverAlone(env: Record<string, string>) {
  return spawnSync(process.execPath, compiled('server'), {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: '0', HOST: '127.0.0.1' },
    encoding: 'utf8',
    timeout: 240_000,
  });
}

test('one process owns an embedded DATA_DIR: the CLI and a second server beside it are refused naming its pid, nothing is lost, and every file is private', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'telecare-lock-'));
  const dbUrl = await serverDatabase(t);
  const env: Record<string, string> = { DATA_DIR: dataDir, ...(dbUrl ? { DATABASE_URL: dbUrl } : {}) };
  const s1 = await startServer(env);
  t.after(() => {
    s1.child.kill('SIGKILL');
  });
  const patient = {
    username: 'keeper',
    email: 'keeper@example.test',
    password: 'correct horse battery',
    firstname: 'K',
    lastname: 'P',
    dateOfBirth: '1990-01-01',
    gender: 'other',
  };
  assert.equal((await request(s1.url, 'POST', '/api/v1/auth/register/patient', { body: patient })).status, 201);
  const admin2 = ['create-admin', '--username', 'admin2', '--email', 'admin2@example.test', '--password', 'a long admin password'];
  if (dbUrl) {
    // A PostgreSQL server has many clients by design: the CLI works beside the running server, which sees the admin at once.
    const ok = cli(env, ...admin2);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(
      (await request(s1.url, 'POST', '/api/v1/auth/login', { body: { login: 'admin2', password: 'a long admin password' } })).status,
      200,
    );
  } else {
    const refused = cli(env, ...admin2);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, new RegExp(`^error: DATA_DIR .* is in use by process ${s1.child.pid}\\b`));
    assert.doesNotMatch(refused.stdout, /created/);
    const second = serverAlone(env);
    assert.equal(second.status, 75, second.stderr);
    assert.match(second.stderr, new RegExp(`in use by process ${s1.child.pid}\\b`));
    // The first server is unharmed.
    assert.equal(
      (await request(s1.url, 'POST', '/api/v1/auth/login', { body: { login: 'keeper', password: patient.password } })).status,
      200,
    );
  }
  s1.child.kill('SIGTERM');
  assert.equal(await s1.exited, 0);
  assert.equal(existsSync(join(dataDir, 'telecare.lock')), false, 'a clean stop releases the lock');
  if (!dbUrl) assert.equal(cli(env, ...admin2).status, 0);

  // A server killed outright leaves its lock behind; the next start sees its pid is dead and takes over.
  const s2 = await startServer(env);
  t.after(() => {
    s2.child.kill('SIGKILL');
  });
  s2.child.kill('SIGKILL');
  await s2.exited;
  if (!dbUrl) assert.equal(readFileSync(join(dataDir, 'telecare.lock'), 'utf8').trim(), String(s2.child.pid));
  const s3 = await startServer(env);
  t.after(() => {
    s3.child.kill('SIGKILL');
  });
  for (const [login, password] of [
    ['admin2', 'a long admin password'],
    ['keeper', patient.password],
  ]) {
    assert.equal((await request(s3.url, 'POST', '/api/v1/auth/login', { body: { login, password } })).status, 200, login);
  }
  s3.child.kill('SIGTERM');
  assert.equal(await s3.exited, 0);
  // Folders 0700, files 0600: the database's own files included (before: 968 of ~1,100 were 0666).
  assert.deepEqual(notPrivate(dataDir), []);
});

test('create-admin takes the password from stdin, from a file, or from a prompt without echo; --password still works', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'telecare-pw-'));
  const dbUrl = await serverDatabase(t);
  if (!dbUrl) await seedDataDir(dataDir);
  const env: Record<string, string> = { DATA_DIR: dataDir, ...(dbUrl ? { DATABASE_URL: dbUrl } : {}) };
  const args = (name: string) => [...compiled('cli'), 'create-admin', '--username', name, '--email', `${name}@example.test`];
  const run = (name: string, extra: string[], input?: string) =>
    spawnSync(process.execPath, [...args(name), ...extra], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      encoding: 'utf8',
      input: input ?? '',
    });

  const viaStdin = run('bystdin', ['--password-stdin'], 'stdin admin password\n');
  assert.equal(viaStdin.status, 0, viaStdin.stderr);
  const file = join(dataDir, 'pw.txt');
  writeFileSync(file, 'file admin password\n', { mode: 0o600 });
  const viaFile = run('byfile', ['--password-file', file]);
  assert.equal(viaFile.status, 0, viaFile.stderr);
  const missing = run('nofile', ['--password-file', join(dataDir, 'absent')]);
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /^error: cannot read --password-file/);
  // Without any source and without a terminal, it says how to give one instead of hanging.
  const none = run('nosource', []);
  assert.notEqual(none.status, 0);
  assert.match(none.stderr, /^error: a password is needed/);
  const twice = run('twice', ['--password-stdin', '--password', 'a long admin password'], 'x\n');
  assert.notEqual(twice.status, 0);
  assert.equal(run('byflag', ['--password', 'flag admin password']).status, 0);

  // The prompt, in a real pseudo-terminal (util-linux `script`): the password must not be echoed.
  const secret = 'typed admin password';
  const cmd = [process.execPath, ...args('byprompt')].map((a) => `'${a}'`).join(' ');
  const child = spawn('script', ['-qec', cmd, '/dev/null'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  const seen = (re: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (re.test(out)) {
          clearInterval(timer);
          clearTimeout(deadline);
          resolve();
        }
      };
      const timer = setInterval(check, 20);
      const deadline = setTimeout(() => {
        clearInterval(timer);
        reject(new Error(`no ${re} in ${JSON.stringify(out)}`));
      }, 240_000);
      check();
    });
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await seen(/Password for the new admin: /);
  child.stdin.write(`${secret}\r`);
  await seen(/Repeat it: /);
  child.stdin.write(`${secret}\r`);
  await seen(/created admin byprompt/);
  child.stdin.end();
  await exited;
  assert.doesNotMatch(out, /typed admin/);

  const s = await startServer(env);
  t.after(() => {
    s.child.kill('SIGKILL');
  });
  for (const [login, password] of [
    ['bystdin', 'stdin admin password'],
    ['byfile', 'file admin password'],
    ['byflag', 'flag admin password'],
    ['byprompt', secret],
  ]) {
    assert.equal((await request(s.url, 'POST', '/api/v1/auth/login', { body: { login, password } })).status, 200, login);
  }
  s.child.kill('SIGTERM');
  assert.equal(await s.exited, 0);
});
