// Journey: resilience (issue 30). A call relayed only through coturn loses its relay (that coturn stops);
// both pages show "Reconnecting…", fetch fresh ICE servers (the operator moved TURN to another coturn) and
// restart ICE on the same RTCPeerConnection — nobody leaves or re-joins the room — and media flows again
// through the new relay. Measures drop → media again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { build, type TestApp } from '../helpers.ts';
import { startCoturn, type Coturn } from '../fixtures/coturn.ts';
import { check } from './browser.ts';
import { callState, countSignals, launchWithFakeMedia, visitPair, openVisit, playsFrames, selectedPair } from './visit-call.ts';

let first: Coturn;
let second: Coturn;
let app: TestApp;
let browser: Browser;
before(async () => {
  [first, second] = await Promise.all([startCoturn(), startCoturn()]);
  [app, browser] = await Promise.all([
    build(undefined, {
      iceServers: [`turn:127.0.0.1:${first.port}?transport=udp`],
      turnSecret: first.secret,
      visitIceTransportPolicy: 'relay',
    }),
    launchWithFakeMedia(),
  ]);
});
after(async () => {
  await browser?.close();
  await app?.close();
  await Promise.all([first?.stop(), second?.stop()]);
});

const pcCount = (page: import('playwright-core').Page) =>
  page.evaluate(() => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.length);

test('the relay dies mid-call: both sides show reconnecting, ICE restarts on the same connection, media flows again; nobody re-joins', async () => {
  const { doctor, patient, id, pt, dt, pp, dp } = await visitPair(app, browser, { doctor: ['Owen', 'Hunt'], patient: ['Teddy', 'Altman'] });
  const pSignals = countSignals(pp);
  const dSignals = countSignals(dp);
  await openVisit(pp, patient.username, 'patient', id);
  await openVisit(dp, doctor.username, 'doctor', id);
  await pp.getByRole('button', { name: 'Join video visit' }).click();
  await callState(pp, 'lobby');
  await dp.getByRole('button', { name: 'Join video visit' }).click();
  await dp.getByRole('button', { name: 'Admit Teddy Altman' }).click();
  for (const page of [pp, dp]) {
    await callState(page, 'connected');
    await playsFrames(page);
  }
  const pcs = [await pcCount(pp), await pcCount(dp)];

  // The operator moves TURN to the second coturn (new URL and secret); the first one dies.
  const config = app.app.platform.config as { iceServers: string[]; turnSecret: string | null };
  config.iceServers = [`turn:127.0.0.1:${second.port}?transport=udp`];
  config.turnSecret = second.secret;
  const t0 = Date.now();
  await first.stop();
  await Promise.all([callState(pp, 'reconnecting'), callState(dp, 'reconnecting')]);
  await check(pt, 'visit-reconnecting-patient');
  for (const page of [pp, dp]) {
    await callState(page, 'connected');
    await playsFrames(page);
  }
  const ms = Date.now() - t0;
  for (const page of [pp, dp]) assert.equal((await selectedPair(page)).local.candidateType, 'relay');
  for (const who of [patient, doctor])
    assert.match(second.log(), new RegExp(`user <\\d+:${who.id}>: incoming packet ALLOCATE processed, success`), who.username);
  // The same connections, the same room: no new RTCPeerConnection, no second join, no leave.
  assert.deepEqual([await pcCount(pp), await pcCount(dp)], pcs);
  for (const s of [pSignals.sent, dSignals.sent]) {
    assert.equal(s.get('visit.join'), 1);
    assert.equal(s.get('visit.leave') ?? 0, 0);
  }
  assert.deepEqual(pt.problems, []);
  assert.deepEqual(dt.problems, []);
  console.log(`visit resilience: relay lost → media again through the new relay in ${ms} ms (ICE restart, same connection)`);
  for (const t of [pt, dt]) await t.context.close();
});
