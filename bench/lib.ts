// Shared plumbing of the benchmark: child processes, autocannon runs, percentiles, RSS.
import { spawn, type ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Seconds per load measurement; BENCH_SECONDS overrides (the whole run stays within minutes). */
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

export interface Child {
  proc: ChildProcess;
  url: string;
  stop: () => Promise<void>;
}

/** Starts `node --import tsx <script>` and waits until `readyPath` answers 200. */
export async function startChild(
  script: string,
  env: Record<string, string>,
  port: number,
  nodeArgs: string[] = [],
  readyPath = '/health/ready',
  /** Another tree (the code before an issue, bench:hot); its stdout discarded when `quiet` (info logs). */
  opts: { cwd?: string; quiet?: boolean } = {},
): Promise<Child> {
  const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script], {
    cwd: opts.cwd,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', opts.quiet ? 'ignore' : 'inherit', 'inherit'],
  });
  let exited = false;
  proc.once('exit', () => {
    exited = true;
  });
  const url = `http://127.0.0.1:${port}`;
  // Up to 5 minutes: opening a freshly seeded embedded database on a loaded machine can take more than one.
  for (let i = 0; i < 3000 && !exited; i++) {
    try {
      if ((await fetch(url + readyPath)).ok) {
        return {
          proc,
          url,
          stop: async () => {
            if (exited) return;
            const gone = new Promise((r) => proc.once('exit', r));
            proc.kill('SIGTERM');
            await Promise.race([gone, sleep(15_000).then(() => proc.kill('SIGKILL'))]);
          },
        };
      }
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  proc.kill('SIGKILL');
  throw new Error(`${script} did not become ready on port ${port}`);
}

let nextPort = 20_000 + Math.floor(Math.random() * 20_000);
export const freePort = () => nextPort++;

export interface Load {
  rps: number;
  ok: number;
  non2xx: number;
  errors: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
}

export async function load(opts: autocannon.Options): Promise<Load> {
  const r = await autocannon({ duration: SECONDS, connections: 10, ...opts });
  const ok = r['2xx'];
  return {
    rps: ok / r.duration,
    ok,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    mean: r.latency.average,
  };
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/** A ratio with two significant digits when small, so that 0.0013 does not print as 0.00. */
export const ratio = (n: number) => (!Number.isFinite(n) ? 'n/a' : n < 0.1 ? n.toPrecision(2) : n.toFixed(2));

/** One JSON request to the API under test; callOk makes a non-2xx answer an error. */
export async function call(base: string, method: string, path: string, body?: unknown, token?: string) {
  const res = await fetch(base + path, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, text };
}

export async function callOk(base: string, method: string, path: string, body?: unknown, token?: string) {
  const res = await call(base, method, path, body, token);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
  return res.body;
}
