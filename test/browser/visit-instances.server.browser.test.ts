// Server engine and browser: a video visit whose two participants are served by two instances of one
// PostgreSQL database, the patient's page by A and the doctor's by B. Their signalling crosses instances
// through the bus (LISTEN/NOTIFY); the call connects, the remote video plays on both pages, and hang-up on
// either side ends it on the other.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { build, type TestApp } from '../helpers.ts';
import { call, callTab, countSignals, hangUp, joinableVisit, launchWithFakeMedia, openVisit, total } from './visit-call.ts';

let a: TestApp;
let b: TestApp;
let browser: Browser;

before(async () => {
  [a, browser] = await Promise.all([build(undefined, { visitWaitingRoom: false }), launchWithFakeMedia()]);
  assert.ok(a.databaseUrl, 'two instances need the server engine (TEST_DATABASE_URL)');
  b = await build(undefined, { visitWaitingRoom: false, jwtSecret: a.config.jwtSecret }, { databaseUrl: a.databaseUrl });
});
after(async () => {
  await browser?.close();
  // B first: A drops the database it shares.
  await b?.close();
  await a?.close();
});

test('two instances: the patient on A and the doctor on B connect, see each other, and hang-up ends the call on both sides', async () => {
  const { doctor, patient, id } = await joinableVisit(a, { doctor: ['Richard', 'Webber'], patient: ['Izzie', 'Stevens'] });
  const pt = await callTab(browser, a.url);
  const dt = await callTab(browser, b.url);
  const pp = pt.page;
  const dp = dt.page;
  // Where each page's WebSocket goes: the patient's to A, the doctor's to B.
  const sockets = { patient: [] as string[], doctor: [] as string[] };
  pp.on('websocket', (ws) => sockets.patient.push(ws.url()));
  dp.on('websocket', (ws) => sockets.doctor.push(ws.url()));
  const pSignals = countSignals(pp);
  const dSignals = countSignals(dp);
  await openVisit(pp, patient.username, 'patient', id);
  await openVisit(dp, doctor.username, 'doctor', id);

  const joinToFrame: number[] = [];
  joinToFrame.push(await call(pp, dp, 'Dr. Richard Webber'));
  const hostOf = (u: string) => new URL(u).host;
  assert.ok(sockets.patient.length > 0 && sockets.doctor.length > 0);
  assert.deepEqual([...new Set(sockets.patient.map(hostOf))], [hostOf(a.url)], "the patient's page talks to A only");
  assert.deepEqual([...new Set(sockets.doctor.map(hostOf))], [hostOf(b.url)], "the doctor's page talks to B only");
  // The doctor hangs up on B: the patient's page on A hears of it.
  await hangUp(dp, pp, 'Dr. Richard Webber');

  // A second call, and the patient hangs up on A: the doctor's page on B hears of it.
  joinToFrame.push(await call(pp, dp, 'Dr. Richard Webber', 'Join again'));
  await hangUp(pp, dp, 'Izzie Stevens');

  assert.deepEqual(pt.problems, []);
  assert.deepEqual(dt.problems, []);
  console.log(
    `visit across two instances: Join → first remote frame ${joinToFrame.join(', ')} ms; visit.* frames sent in all: ${total(pSignals.sent) + total(dSignals.sent)} over ${joinToFrame.length} calls`,
  );
  for (const t of [pt, dt]) await t.context.close();
});
