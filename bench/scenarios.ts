// The measured scenarios. Each returns the figures of one table row; ratios compare two measurements
// taken side by side in the same run, because absolute numbers on a shared 2-core machine are noise.
import { performance } from 'node:perf_hooks';
import argon2 from 'argon2';
import WebSocket from 'ws';
import { fmt, load, percentile, ratio, SECONDS, sleep, type Child } from './lib.ts';
import { PASSWORD, type Seeded } from './seed.ts';

export interface Row {
  scenario: string;
  value: string;
}

const json = { 'content-type': 'application/json' };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function sizeOf(url: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(url, { headers });
  if (res.status !== 200) throw new Error(`${url} → ${res.status} ${await res.text()}`);
  return (await res.arrayBuffer()).byteLength;
}

/** req/s of an API GET as a ratio to the constant-body route of the same size. */
async function ceilingRatio(app: Child, ceiling: Child, path: string, headers: Record<string, string> = {}) {
  const bytes = await sizeOf(app.url + path, headers);
  const api = await load({ url: app.url + path, headers });
  const base = await load({ url: `${ceiling.url}/const/${bytes}` });
  return { bytes, api, base, ratio: api.rps / base.rps };
}

const tomorrow = () => {
  const d = new Date();
  d.setUTCHours(0, 0, 0, 0);
  return d.getTime() + 86_400_000;
};

export async function slots(app: Child, ceiling: Child, s: Seeded): Promise<Row> {
  const from = new Date(tomorrow()).toISOString();
  const to = new Date(tomorrow() + 7 * 86_400_000).toISOString();
  const r = await ceilingRatio(app, ceiling, `/api/v1/doctors/${s.slotsDoctorId}/slots?from=${from}&to=${to}`);
  return {
    scenario: 'slots: GET /doctors/{id}/slots (7 days) req/s ÷ constant route',
    value: `${ratio(r.ratio)} (${fmt(r.api.rps, 0)} vs ${fmt(r.base.rps, 0)} req/s, ${r.bytes} B)`,
  };
}

export async function directory(app: Child, ceiling: Child): Promise<Row> {
  const r = await ceilingRatio(app, ceiling, '/api/v1/doctors?q=cardio');
  return {
    scenario: 'directory: GET /doctors?q= on 10,000 doctors ÷ constant route; p99',
    value: `${ratio(r.ratio)} (${fmt(r.api.rps, 0)} vs ${fmt(r.base.rps, 0)} req/s); p99 ${r.api.p99} ms`,
  };
}

/** The shipped terminology's prefix search (483 RxNorm ingredients with brand names), as the prescribing form types. */
export async function terminology(app: Child, ceiling: Child, s: Seeded): Promise<Row> {
  const r = await ceilingRatio(app, ceiling, '/api/v1/terminology/substances?q=amox', bearer(s.patients[0].token));
  return {
    scenario: 'terminology: GET /terminology/substances?q= req/s ÷ constant route; p99',
    value: `${ratio(r.ratio)} (${fmt(r.api.rps, 0)} vs ${fmt(r.base.rps, 0)} req/s, ${r.bytes} B); p99 ${r.api.p99} ms`,
  };
}

export async function authOverhead(app: Child, ceiling: Child, s: Seeded): Promise<Row> {
  const r = await ceilingRatio(app, ceiling, '/api/v1/me', bearer(s.patients[0].token));
  return {
    scenario: 'auth: JWT GET /me req/s ÷ constant route',
    value: `${ratio(r.ratio)} (${fmt(r.api.rps, 0)} vs ${fmt(r.base.rps, 0)} req/s)`,
  };
}

/** 50 clients booking distinct free slots; the raw-driver side is measured later, server stopped. */
export async function booking(app: Child, s: Seeded): Promise<{ rps: number; conflicts: number; errors: number }> {
  const base = tomorrow();
  let n = 0;
  const r = await load({
    url: app.url,
    connections: 50,
    requests: [
      {
        method: 'POST',
        path: '/api/v1/appointments',
        setupRequest: (req) => {
          const i = n++;
          return {
            ...req,
            headers: { ...json, ...bearer(s.patients[i % s.patients.length].token) },
            body: JSON.stringify({ doctorId: s.bookingDoctorId, startsAt: new Date(base + i * 10 * 60_000).toISOString() }),
          };
        },
      },
    ],
  });
  return { rps: r.rps, conflicts: r.non2xx, errors: r.errors };
}

/** The same INSERT, 50 concurrent callers, straight through the driver; `insert(i)` performs slot i. */
export async function rawInserts(insert: (i: number) => Promise<void>): Promise<number> {
  let n = 0;
  let ok = 0;
  const until = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (performance.now() < until) {
        await insert(n++);
        ok++;
      }
    }),
  );
  return ok / SECONDS;
}

export async function history(app: Child, s: Seeded): Promise<Row> {
  const path = `/api/v1/conversations/${s.msgDoctor.id}/messages?limit=100`;
  const headers = bearer(s.msgPatient.token);
  let cursor: string | null = null;
  for (let page = 1; page < 1000; page++) {
    const res = await fetch(app.url + path + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''), { headers });
    const body = (await res.json()) as { nextCursor: string | null };
    cursor = body.nextCursor;
    if (!cursor) throw new Error(`history ended at page ${page}`);
  }
  const first = await load({ url: app.url + path, headers });
  const deep = await load({ url: `${app.url}${path}&cursor=${encodeURIComponent(cursor!)}`, headers });
  return {
    scenario: 'history: page 1,000 ÷ page 1 latency (100,000 messages, limit 100)',
    value: `${ratio(deep.mean / first.mean)} (${fmt(deep.mean)} vs ${fmt(first.mean)} ms mean; p99 ${deep.p99} vs ${first.p99} ms)`,
  };
}

export async function login(app: Child, s: Seeded, hash: string): Promise<Row[]> {
  // Bare argon2id verifications in this process, as many in flight as libuv has threads.
  let verified = 0;
  const until = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (performance.now() < until) {
        await argon2.verify(hash, PASSWORD);
        verified++;
      }
    }),
  );
  const bare = verified / SECONDS;
  const body = JSON.stringify({ login: s.loginName, password: PASSWORD });
  const logins = await load({ url: `${app.url}/api/v1/auth/login`, method: 'POST', headers: json, body, connections: 8 });
  const alone = await load({ url: `${app.url}/api/v1/doctors` });
  const [during] = await Promise.all([
    load({ url: `${app.url}/api/v1/doctors` }),
    load({ url: `${app.url}/api/v1/auth/login`, method: 'POST', headers: json, body, connections: 16 }),
  ]);
  // Let the hashes still queued from the flood finish before anything else (or the shutdown) runs.
  await sleep(3000);
  return [
    {
      scenario: 'login: logins/s ÷ bare argon2id verifications/s (one process)',
      value: `${ratio(logins.rps / bare)} (${fmt(logins.rps, 1)} vs ${fmt(bare, 1)}/s)`,
    },
    {
      scenario: 'login flood: GET /doctors req/s during ÷ without',
      value: `${ratio(during.rps / alone.rps)} (${fmt(during.rps, 0)} vs ${fmt(alone.rps, 0)} req/s; p99 ${during.p99} vs ${alone.p99} ms)`,
    },
  ];
}

export const EXPORT_FLOOD = 'export flood: GET /doctors p50/p90 while 4 clients of one account loop its export ÷ without';

/**
 * GET /doctors latency alone, then while 4 clients of one account (the doctor of the 100,000-message
 * conversation: an export of about 11 MB) loop GET /me/export as fast as the answers come, reading each
 * body whole. The server runs one export per user at a time and EXPORTS_PER_HOUR of them: the rest are
 * 429 at once.
 */
export async function exportFlood(app: Child, s: Seeded): Promise<Row> {
  const alone = await load({ url: `${app.url}/api/v1/doctors` });
  let stop = false;
  const count = { done: 0, refused: 0 };
  const other = new Map<string, number>();
  const loops = Array.from({ length: 4 }, async () => {
    while (!stop) {
      let status: string;
      try {
        const res = await fetch(`${app.url}/api/v1/me/export`, { headers: bearer(s.msgDoctor.token) });
        await res.arrayBuffer();
        status = String(res.status);
      } catch (err) {
        status = (err as Error).message;
      }
      if (status === '200') count.done++;
      else if (status === '429') count.refused++;
      else other.set(status, (other.get(status) ?? 0) + 1);
    }
  });
  const during = await load({ url: `${app.url}/api/v1/doctors` });
  stop = true;
  await Promise.all(loops);
  return {
    scenario: EXPORT_FLOOD,
    value:
      `p50 ${ratio(during.p50 / alone.p50)}, p90 ${ratio(during.p90 / alone.p90)} ` +
      `(p50 ${during.p50} vs ${alone.p50} ms, p90 ${during.p90} vs ${alone.p90} ms); ` +
      `exports ${count.done} sent, ${count.refused} refused (429)${[...other].map(([k, n]) => `, ${n} × ${k}`).join('')}; ` +
      `GET /doctors non-2xx ${during.non2xx} vs ${alone.non2xx}, errors ${during.errors} vs ${alone.errors}`,
  };
}

// ---------- real time ----------

interface Held {
  sockets: WebSocket[];
  received: () => number;
  reset: () => void;
  close: () => void;
}

/** Opens `tokens.length` sockets (authenticated when `auth`), counting frames of `countType`. */
async function hold(url: string, tokens: (string | null)[], countType: string): Promise<Held> {
  let received = 0;
  const sockets: WebSocket[] = [];
  for (let i = 0; i < tokens.length; i += 250) {
    await Promise.all(
      tokens.slice(i, i + 250).map(
        (token) =>
          new Promise<void>((resolve, reject) => {
            const ws = new WebSocket(url);
            sockets.push(ws);
            ws.on('error', reject);
            ws.once('open', () => {
              if (!token) return resolve();
              ws.send(JSON.stringify({ type: 'auth', accessToken: token }));
            });
            ws.on('message', (data) => {
              const text = data.toString();
              if (text.startsWith('{"type":"ready"')) return resolve();
              if (text.includes(`"type":"${countType}"`)) received++;
            });
            ws.once('close', (code) => reject(new Error(`socket closed ${code}`)));
          }),
      ),
    );
  }
  return {
    sockets,
    received: () => received,
    reset: () => {
      received = 0;
    },
    close: () =>
      sockets.forEach((s) => {
        s.removeAllListeners('close');
        s.terminate();
      }),
  };
}

async function timeBroadcast(held: Held, total: number, trigger: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < 10; r++) {
    held.reset();
    const t0 = performance.now();
    await trigger();
    while (held.received() < total) await sleep(1);
    times.push(performance.now() - t0);
  }
  return percentile(times, 50);
}

export async function realtime(app: Child, ceiling: Child, controlUrl: string, s: Seeded): Promise<Row[]> {
  const wsUrl = `${app.url.replace('http', 'ws')}/api/v1/ws`;
  const memory = async () => (await (await fetch(controlUrl)).json()) as { rss: number; heap: number };
  const before = await memory();
  const held = await hold(
    wsUrl,
    s.wsUsers.map((u) => u.token),
    'appointment.updated',
  );
  await sleep(1000);
  const after = await memory();
  const perConn = (after.rss - before.rss) / s.wsUsers.length;
  const heapPerConn = (after.heap - before.heap) / s.wsUsers.length;

  // Delivery latency to one of the held users (the patient of the conversation also holds a socket).
  const mine = new WebSocket(wsUrl);
  const frames: ((t: number) => void)[] = [];
  await new Promise<void>((resolve, reject) => {
    mine.once('open', () => mine.send(JSON.stringify({ type: 'auth', accessToken: s.msgPatient.token })));
    mine.on('message', (d) => {
      const text = d.toString();
      if (text.startsWith('{"type":"ready"')) resolve();
      else if (text.includes('"type":"message.created"')) frames.shift()?.(performance.now());
    });
    mine.once('error', reject);
  });
  const latencies: number[] = [];
  for (let i = 0; i < 200; i++) {
    const arrived = new Promise<number>((resolve) => frames.push(resolve));
    const t0 = performance.now();
    const res = await fetch(`${app.url}/api/v1/conversations/${s.msgPatient.id}/messages`, {
      method: 'POST',
      headers: { ...json, ...bearer(s.msgDoctor.token) },
      body: JSON.stringify({ body: `bench ${i}` }),
    });
    if (res.status !== 201) throw new Error(`message → ${res.status} ${await res.text()}`);
    latencies.push((await arrived) - t0);
  }
  mine.close();

  // appointment.updated to every held user through the app's bus, versus bare ws sending one buffer.
  const list = await fetch(`${app.url}/api/v1/appointments?limit=1`, { headers: bearer(s.msgPatient.token) });
  const appointment = ((await list.json()) as { items: unknown[] }).items[0];
  const event = { type: 'appointment.updated', appointment };
  const userIds = s.wsUsers.map((u) => u.id);
  const viaApp = await timeBroadcast(held, userIds.length, () =>
    fetch(controlUrl, { method: 'POST', body: JSON.stringify({ userIds, event }) }),
  );
  held.close();
  await fetch(`${ceiling.url}/frame`, { method: 'PUT', headers: json, body: JSON.stringify(event) });
  const bare = await hold(
    `${ceiling.url.replace('http', 'ws')}/ws`,
    userIds.map(() => null),
    'appointment.updated',
  );
  while (((await (await fetch(`${ceiling.url}/sockets`)).json()) as { count: number }).count < userIds.length) await sleep(20);
  const viaWs = await timeBroadcast(bare, userIds.length, () => fetch(`${ceiling.url}/broadcast`, { method: 'POST' }));
  bare.close();
  return [
    {
      scenario: `real time: ${s.wsUsers.length} idle authenticated WebSockets, RSS per connection`,
      value: `${fmt(perConn / 1024, 1)} KiB (${fmt((after.rss - before.rss) / 1048576, 0)} MiB in all; JS heap + external ${fmt(heapPerConn / 1024, 1)} KiB each)`,
    },
    {
      scenario: 'real time: message delivery p99 while they are held',
      value: `${fmt(percentile(latencies, 99), 1)} ms (p50 ${fmt(percentile(latencies, 50), 1)} ms, POST → frame)`,
    },
    {
      scenario: `real time: appointment.updated to all ${userIds.length} ÷ bare ws send of the same buffer`,
      value: `${ratio(viaApp / viaWs)} (${fmt(viaApp, 0)} vs ${fmt(viaWs, 0)} ms)`,
    },
  ];
}
