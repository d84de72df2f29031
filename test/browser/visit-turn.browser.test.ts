// Journey: a video visit relayed through TURN in the real browser. Debian's coturn runs on loopback, the
// server hands out its shared-secret credentials and VISIT_ICE_TRANSPORT_POLICY=relay, so both pages may
// only use relay candidates: the call must still connect, on a candidate pair whose local side is relay.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { build, type TestApp } from '../helpers.ts';
import { startCoturn, type Coturn } from '../fixtures/coturn.ts';
import { call, countSignals, hangUp, launchWithFakeMedia, visitPair, openVisit, selectedPair, total } from './visit-call.ts';

let turn: Coturn;
let app: TestApp;
let browser: Browser;

before(async () => {
  turn = await startCoturn();
  [app, browser] = await Promise.all([
    build(undefined, {
      visitWaitingRoom: false,
      iceServers: [`turn:127.0.0.1:${turn.port}?transport=udp`],
      turnSecret: turn.secret,
      visitIceTransportPolicy: 'relay',
    }),
    launchWithFakeMedia(),
  ]);
});
after(async () => {
  await browser?.close();
  await app?.close();
  await turn?.stop();
});

test('video visit relayed through coturn: relay candidates only, the call connects on a relay pair and plays video', async () => {
  const { doctor, patient, id, pt, dt, pp, dp } = await visitPair(app, browser, {
    doctor: ['Cristina', 'Yang'],
    patient: ['Preston', 'Burke'],
  });
  const pSignals = countSignals(pp);
  const dSignals = countSignals(dp);
  await openVisit(pp, patient.username, 'patient', id);
  await openVisit(dp, doctor.username, 'doctor', id);

  const ms = await call(pp, dp, 'Dr. Cristina Yang');

  for (const [who, page] of [
    ['patient', pp],
    ['doctor', dp],
  ] as const) {
    const s = await selectedPair(page);
    assert.equal(s.iceTransportPolicy, 'relay', `${who}: the page applied the server's policy`);
    assert.equal(s.pair.state, 'succeeded', who);
    assert.equal(s.pair.nominated, true, who);
    assert.equal(s.local.candidateType, 'relay', `${who}: the selected pair's local candidate is a TURN relay`);
    assert.equal(s.local.relayProtocol, 'udp', who);
  }
  // Neither page ever told the other a host or server-reflexive address.
  const candidates = [...pSignals.candidates, ...dSignals.candidates];
  assert.ok(candidates.length >= 2, `candidates sent: ${candidates.length}`);
  for (const c of candidates) assert.match(c, / typ relay /);
  // coturn allocated for both participants with the credentials GET /visit handed them.
  for (const who of [patient, doctor]) {
    assert.match(turn.log(), new RegExp(`user <\\d+:${who.id}>: incoming packet ALLOCATE processed, success`), who.username);
  }

  await hangUp(pp, dp, 'Preston Burke');
  assert.deepEqual(pt.problems, []);
  assert.deepEqual(dt.problems, []);
  console.log(
    `visit over TURN (relay only): Join → first remote frame ${ms} ms; visit.* frames sent: ${total(pSignals.sent) + total(dSignals.sent)}`,
  );
  for (const t of [pt, dt]) await t.context.close();
});
