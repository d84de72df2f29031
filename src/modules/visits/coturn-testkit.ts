// Test support: Debian's coturn on loopback in the shared-secret mode Telecare's TURN credentials are
// made for (`apt-get install coturn`; .ci/run installs it). Waits until it answers STUN, never for time.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Coturn {
  port: number;
  secret: string;
  /** Everything coturn logged so far (one line per STUN/TURN request with the username). */
  log: () => string;
  stop: () => Promise<void>;
}

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A STUN Binding request (RFC 8489: type 0x0001, length 0, magic cookie, 96-bit transaction id). */
function bindingRequest(): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt16BE(0x0001, 0);
  b.writeUInt32BE(0x2112a442, 4);
  randomBytes(12).copy(b, 8);
  return b;
}

/** Resolves once the server answers a Binding request on the port (each probe waits 200 ms for its answer). */
async function answersStun(port: number, deadlineMs: number): Promise<void> {
  const s = createSocket('udp4');
  try {
    const answered = new Promise<void>((resolve) => s.once('message', () => resolve()));
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      s.send(bindingRequest(), port, '127.0.0.1');
      const ok = await Promise.race([answered.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 200))]);
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`coturn did not answer STUN on 127.0.0.1:${port} within ${deadlineMs} ms`);
    }
  } finally {
    s.close();
  }
}

export function coturnInstalled(): boolean {
  return spawnSync('turnserver', ['--help'], { stdio: 'ignore' }).error === undefined;
}

/**
 * Starts `turnserver` on 127.0.0.1 with a fresh static-auth-secret. Loopback peers must be allowed
 * explicitly: both ends of the test call are on this machine.
 */
export async function startCoturn(): Promise<Coturn> {
  if (!coturnInstalled()) throw new Error('turnserver is not installed: apt-get install coturn (.ci/run does)');
  const port = await freeUdpPort();
  const secret = randomBytes(24).toString('base64url');
  const dir = mkdtempSync(join(tmpdir(), 'telecare-coturn-'));
  // A relay port window of its own per run, so parallel runs on one machine do not collide.
  const minPort = 50000 + Math.floor(Math.random() * 150) * 100;
  const proc: ChildProcess = spawn('turnserver', [
    '-n', '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${port}`,
    `--min-port=${minPort}`, `--max-port=${minPort + 99}`, '--realm=telecare.test',
    '--use-auth-secret', `--static-auth-secret=${secret}`, '--allow-loopback-peers',
    '--no-tls', '--no-dtls', '--no-cli', '--log-file=stdout', '--simple-log', `--pidfile=${join(dir, 'turnserver.pid')}`,
    `--userdb=${join(dir, 'turndb')}`,
    // werift waits out 5/6 of the allocation lifetime before each refresh, even after close(): a short
    // lifetime lets the test process end soon after the call (and the call refreshes with our credentials).
    '--max-allocate-lifetime=6',
    // Moderate verbosity: one line per processed request, naming its user (the tests read them).
    '-v',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async () => {
    if (proc.exitCode === null) proc.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.race([answersStun(port, 30_000), exited.then(() => { throw new Error(`turnserver exited: ${out.slice(-2000)}`); })]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, secret, log: () => out, stop };
}
