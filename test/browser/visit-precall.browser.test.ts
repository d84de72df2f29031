// Journey: the pre-call check (issue 30) before joining a visit. With camera and microphone (Chromium's fake
// devices) and coturn on loopback, every check passes: camera, microphone (the fake tone moves the meter),
// a TURN allocation with the visit's own credentials, round trips to our server. With the camera blocked by
// the browser (a Chromium that is granted the microphone only and grants nothing on its own), the check
// says so and how to allow it. Each run must end within a minute; axe 0 violations on both.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium, type Browser } from 'playwright-core';
import { build, type TestApp } from '../helpers.ts';
import { startCoturn, type Coturn } from '../fixtures/coturn.ts';
import { CHROMIUM, check, openTab, signIn } from './browser.ts';
import { joinableVisit, launchWithFakeMedia } from './visit-call.ts';

let turn: Coturn;
let app: TestApp;
let browser: Browser;
let blocking: Browser;
before(async () => {
  turn = await startCoturn();
  [app, browser, blocking] = await Promise.all([
    build(undefined, { iceServers: [`turn:127.0.0.1:${turn.port}?transport=udp`], turnSecret: turn.secret }),
    launchWithFakeMedia(),
    // Fake devices, but no automatic "allow" (no --use-fake-ui-for-media-stream): what is not granted is denied.
    chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--use-fake-device-for-media-stream', '--deny-permission-prompts'],
    }),
  ]);
});
after(async () => {
  await Promise.all([browser?.close(), blocking?.close()]);
  await app?.close();
  await turn?.stop();
});

const visitFor = (firstname: string) => joinableVisit(app, { doctor: ['Richard', 'Webber'], patient: [firstname, 'Stevens'] });

test('pre-call check: camera, microphone, relay allocation through our TURN and round trips all pass, within a minute', async () => {
  const { patient, id } = await visitFor('Izzie');
  const tab = await openTab(browser, app.url);
  await tab.context.grantPermissions(['camera', 'microphone']);
  const page = tab.page;
  await signIn(page, patient.username);
  await page.getByRole('link', { name: 'Appointments', exact: true }).waitFor();
  await page.goto(`/patient/visits/${id}`);
  const t0 = Date.now();
  await page.getByRole('button', { name: 'Check my setup' }).click();
  await page.getByLabel('Microphone level').waitFor();
  const results = page.getByRole('list', { name: 'Setup check results' });
  for (const key of ['camera', 'microphone', 'relay', 'round-trip'])
    await results.locator(`[data-check="${key}"]:not([data-result="running"])`).waitFor({ timeout: 60_000 });
  const ms = Date.now() - t0;
  const got = await results
    .locator('li')
    .evaluateAll((els) => els.map((e) => [e.getAttribute('data-check'), e.getAttribute('data-result'), e.textContent]));
  assert.deepEqual(
    got.map(([k, r]) => [k, r]),
    [
      ['camera', 'ok'],
      ['microphone', 'ok'],
      ['relay', 'ok'],
      ['round-trip', 'ok'],
    ],
    JSON.stringify(got),
  );
  assert.ok(ms < 60_000, `${ms} ms`);
  // The relay allocation used the visit's own credentials: coturn logged the patient's TURN username.
  assert.match(turn.log(), new RegExp(`:${patient.id}`));
  await page.getByRole('button', { name: 'Play a test sound' }).click();
  await page.getByText('A one-second tone played.').waitFor();
  await check(tab, 'visit-precall-ok');
  assert.deepEqual(tab.problems, []);
  console.log(`pre-call check: all passed in ${ms} ms`);
  await tab.context.close();
});

test('pre-call check: a camera blocked by the browser is reported clearly, with how to allow it; the microphone still passes', async () => {
  const { patient, id } = await visitFor('Lexie');
  const tab = await openTab(blocking, app.url);
  await tab.context.grantPermissions(['microphone']);
  const page = tab.page;
  await signIn(page, patient.username);
  await page.getByRole('link', { name: 'Appointments', exact: true }).waitFor();
  await page.goto(`/patient/visits/${id}`);
  await page.getByRole('button', { name: 'Check my setup' }).click();
  const camera = page.getByRole('list', { name: 'Setup check results' }).locator('[data-check="camera"][data-result="fail"]');
  await camera.waitFor();
  assert.match((await camera.textContent()) ?? '', /Your browser blocked the camera\. .*allow the camera for this site/);
  await page.locator('[data-check="microphone"][data-result="ok"]').waitFor();
  await page.locator('[data-check="round-trip"]:not([data-result="running"])').waitFor();
  await check(tab, 'visit-precall-camera-blocked');
  await tab.context.close();
});
