// Journey: the waiting room (issue 30). The patient joins first and waits in the lobby (the doctor's status:
// absent, then running late — one click in the agenda —, then here); sends a short text; the doctor sees who
// waits and the text, admits; media flows both ways. axe on the lobby, the doctor's waiting list and the
// agenda. Measures admit → first remote frame (patient side) and counts the visit.* frames of the call.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { build, type TestApp } from '../helpers.ts';
import { check, signIn } from './browser.ts';
import { callState, countSignals, firstRemoteFrame, launchWithFakeMedia, visitPair, openVisit, playsFrames, total } from './visit-call.ts';

let app: TestApp;
let browser: Browser;
before(async () => {
  [app, browser] = await Promise.all([build(), launchWithFakeMedia()]);
});
after(async () => {
  await browser?.close();
  await app?.close();
});

test('waiting room: the patient waits (doctor absent, running late, here), sends a text; the doctor admits; media flows', async () => {
  assert.equal(app.config.visitWaitingRoom, true);
  const { doctor, patient, id, pt, dt, pp, dp } = await visitPair(app, browser, {
    doctor: ['Meredith', 'Grey'],
    patient: ['Alex', 'Karev'],
  });
  const { sent: pSent } = countSignals(pp);
  const { sent: dSent } = countSignals(dp);

  await signIn(pp, patient.username);
  await pp.getByRole('link', { name: 'Appointments', exact: true }).waitFor();
  await pp.goto(`/patient/visits/${id}`);
  await pp.waitForFunction(() => (document.querySelector<HTMLVideoElement>('video.local')?.videoWidth ?? 0) > 0);
  await pp.getByRole('button', { name: 'Join video visit' }).click();
  await callState(pp, 'lobby');
  await pp.locator('.doctor-status[data-doctor="absent"]').waitFor();
  await pp.getByText('Dr. Meredith Grey has not joined yet.').waitFor();

  // The doctor, in the agenda, says "late 10 min" with one click: the lobby shows it at once.
  await signIn(dp, doctor.username);
  await dp.getByRole('heading', { name: 'Agenda' }).waitFor();
  await dp.getByRole('group', { name: 'Running late' }).getByRole('button', { name: 'Late 10 min' }).click();
  await dp.getByRole('button', { name: 'Late 10 min', pressed: true }).waitFor();
  await pp.getByText('Running late by about 10 minutes.').waitFor();
  await check(dt, 'visit-agenda-running-late');

  await pp.getByLabel('Message to Dr. Meredith Grey (optional)').fill('My camera works, I am ready.');
  await pp.getByRole('button', { name: 'Send to the doctor' }).click();
  await pp.getByRole('list', { name: 'Your messages' }).getByText('My camera works, I am ready.').waitFor();
  await check(pt, 'visit-lobby-patient');

  // The doctor opens the visit and joins: the lobby says the doctor is here; the doctor sees who waits.
  await dp.getByRole('button', { name: 'Join video visit with Alex Karev' }).click();
  await dp.getByRole('heading', { name: 'Video visit', exact: true }).waitFor();
  await dp.waitForFunction(() => (document.querySelector<HTMLVideoElement>('video.local')?.videoWidth ?? 0) > 0);
  await dp.getByRole('button', { name: 'Join video visit' }).click();
  await pp.locator('.doctor-status[data-doctor="here"]').waitFor();
  const admit = dp.getByRole('list', { name: 'Waiting' }).getByRole('button', { name: 'Admit Alex Karev' });
  await admit.waitFor();
  await check(dt, 'visit-waiting-doctor');
  // The text sent before the doctor opened the visit went to the agenda's socket; one sent now reaches the visit page.
  await pp.getByLabel('Message to Dr. Meredith Grey (optional)').fill('Still here.');
  await pp.getByRole('button', { name: 'Send to the doctor' }).click();
  await dp.getByRole('list', { name: 'Messages from the waiting room' }).getByText('Still here.').waitFor();
  // Nothing was negotiated before admission: no RTCPeerConnection on either side.
  for (const page of [pp, dp]) assert.equal(await page.evaluate(() => (window as unknown as { __pcs: unknown[] }).__pcs.length), 0);

  const t0 = Date.now();
  await admit.click();
  await firstRemoteFrame(pp);
  const admitToFrame = Date.now() - t0;
  for (const page of [pp, dp]) {
    await page.locator('.call-state[data-pc-state="connected"]').waitFor();
    await playsFrames(page);
  }
  await check(pt, 'visit-admitted-patient');
  assert.deepEqual(pt.problems, []);
  assert.deepEqual(dt.problems, []);
  console.log(
    `visit lobby: admit → first remote frame ${admitToFrame} ms; visit.* frames sent: patient ${JSON.stringify(Object.fromEntries(pSent))}, doctor ${JSON.stringify(Object.fromEntries(dSent))}, total ${total(pSent) + total(dSent)}`,
  );
  await pt.context.close();
  await dt.context.close();
});

test('screen sharing: the doctor shares (indicator on both sides, stop); the patient may once the doctor allows it', async () => {
  const { doctor, patient, id, pt, dt, pp, dp } = await visitPair(app, browser, {
    doctor: ['Addison', 'Montgomery'],
    patient: ['Jo', 'Wilson'],
  });
  await openVisit(pp, patient.username, 'patient', id);
  await openVisit(dp, doctor.username, 'doctor', id);
  await pp.getByRole('button', { name: 'Join video visit' }).click();
  await callState(pp, 'lobby');
  await dp.getByRole('button', { name: 'Join video visit' }).click();
  await dp.getByRole('button', { name: 'Admit Jo Wilson' }).click();
  for (const page of [pp, dp]) await callState(page, 'connected');
  await playsFrames(pp);

  // The doctor shares: the screen replaces the camera; both sides say so; stop brings the camera back.
  assert.equal(await pp.getByRole('button', { name: 'Share screen' }).count(), 0, 'the patient may not share yet');
  await dp.getByRole('button', { name: 'Share screen' }).click();
  await dp.getByText('You are sharing: your entire screen.').waitFor();
  await pp.getByText('Dr. Addison Montgomery is sharing their screen.').waitFor();
  await playsFrames(pp);
  await check(dt, 'visit-screen-share-doctor');
  await check(pt, 'visit-screen-share-patient-sees');
  await dp.getByRole('button', { name: 'Stop sharing' }).click();
  await pp.getByText('Dr. Addison Montgomery is sharing their screen.').waitFor({ state: 'detached' });
  assert.equal(await dp.getByText('You are sharing:').count(), 0);

  // The doctor lets the patient share.
  await dp.getByRole('button', { name: 'Let the patient share their screen' }).click();
  await dp.getByRole('button', { name: 'Let the patient share their screen', pressed: true }).waitFor();
  await pp.getByRole('button', { name: 'Share screen' }).click();
  await pp.getByText('You are sharing:').waitFor();
  await dp.getByText('Jo Wilson is sharing their screen.').waitFor();
  await playsFrames(dp);
  // Withdrawn while sharing: the patient's share stops.
  await dp.getByRole('button', { name: 'Let the patient share their screen', pressed: true }).click();
  await pp.getByText('You are sharing:').waitFor({ state: 'detached' });
  await dp.getByText('Jo Wilson is sharing their screen.').waitFor({ state: 'detached' });
  assert.equal(await pp.getByRole('button', { name: 'Share screen' }).count(), 0);
  assert.deepEqual(pt.problems, []);
  assert.deepEqual(dt.problems, []);
  await pt.context.close();
  await dt.context.close();
});
