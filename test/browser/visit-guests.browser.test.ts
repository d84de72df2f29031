// Journey: guests in the video visit (issue 30). The patient invites an interpreter from the appointment page
// (a single-use link, token in the fragment) and revokes a second invite; the interpreter opens the link
// signed out, gives a name and waits in the lobby; the doctor admits patient and interpreter; a three-way call
// (every side sees and hears both others), the doctor shares the screen and both see it; the patient's access
// log names the interpreter; a revoked and an expired link are refused on the guest page. axe on each screen.
// The second test measures the mesh at 2, 3 and 4 participants: join → every remote frame (p50 of repeated
// re-joins), admit → media, signalling frames, and the browser's CPU per peer at four.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { pinClock } from '../../src/platform/clock.ts';
import { build, type TestApp } from '../helpers.ts';
import { axeResults, check, openTab, signIn } from './browser.ts';
import { callState, callTab, countSignals, joinableVisit, launchWithFakeMedia, openVisit, total } from './visit-call.ts';

let app: TestApp;
let browser: Browser;
before(async () => {
  [app, browser] = await Promise.all([build(), launchWithFakeMedia()]);
});
after(async () => {
  pinClock(app.app.platform, null);
  await browser?.close();
  await app?.close();
  const all = axeResults.reduce((n, r) => n + r.violations, 0);
  console.log(`visit guests: ${axeResults.length} page checks with axe-core, ${all} violations of any impact`);
});

const REPEATS = 5;
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/** The call state line once `n` others are in and every connection is up. */
const connectedWith = (page: Page, n: number) =>
  page.locator(`.call-state[data-state="connected"][data-peers="${n}"][data-pc-state="connected"]`).waitFor();

/** Every one of the `n` remote videos shows frames (a size and a running clock). */
async function seesAll(page: Page, n: number): Promise<void> {
  await page.waitForFunction(
    (count) => {
      const videos = [...document.querySelectorAll<HTMLVideoElement>('video.remote')];
      return videos.length === count && videos.every((v) => v.videoWidth > 0 && v.currentTime > 0);
    },
    n,
    { polling: 'raf' },
  );
}

/** Every one of the `n` connections receives audio: the interpreter hears both others, and both hear them. */
async function hearsAll(page: Page, n: number): Promise<void> {
  await page.waitForFunction(
    async (count) => {
      const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.filter((pc) => pc.connectionState === 'connected');
      if (pcs.length !== count) return false;
      for (const pc of pcs) {
        const stats = [...(await pc.getStats()).values()] as Array<Record<string, unknown>>;
        if (!stats.some((s) => s.type === 'inbound-rtp' && s.kind === 'audio' && Number(s.packetsReceived) > 0)) return false;
      }
      return true;
    },
    n,
    { polling: 250 },
  );
}

/** A guest (signed out) opens their link, gives a name and lands on the call page with the preview running. */
async function redeemAs(page: Page, link: string, name: string): Promise<void> {
  await page.goto(link);
  await page.getByRole('heading', { name: 'Join a video visit' }).waitFor();
  await page.getByLabel('Your name').fill(name);
  await page.getByRole('button', { name: 'Enter the waiting room' }).click();
  await page.waitForFunction(() => (document.querySelector<HTMLVideoElement>('video.local')?.videoWidth ?? 0) > 0);
}

test('guests: the patient invites an interpreter; the doctor admits both; a three-way call with screen sharing; the access log names the interpreter; revoked and expired links are refused', async () => {
  const { doctor, patient, id, startsAt } = await joinableVisit(app, { doctor: ['Cristina', 'Yang'], patient: ['Lexie', 'Grey'] });
  const [pt, dt, gt, xt] = await Promise.all([
    callTab(browser, app.url),
    callTab(browser, app.url),
    callTab(browser, app.url),
    openTab(browser, app.url),
  ]);
  const [pp, dp, gp, xp] = [pt.page, dt.page, gt.page, xt.page];
  const signals = [countSignals(pp), countSignals(dp), countSignals(gp)];

  // The patient invites an interpreter and a family member from the appointment page, then revokes the second.
  await signIn(pp, patient.username);
  await pp.getByRole('link', { name: 'Appointments', exact: true }).waitFor();
  await pp.goto(`/appointments/${id}`);
  await pp.getByRole('heading', { name: 'Guests' }).waitFor();
  await pp.getByLabel('Who').selectOption('INTERPRETER');
  await pp.getByLabel('Note (optional)').fill('for my father');
  await pp.getByRole('button', { name: 'Create invitation link' }).click();
  const link = await pp.getByLabel('Link for the interpreter').inputValue();
  assert.match(link, new RegExp(`^${app.url}/visit/guest#[A-Za-z0-9_-]{40,}$`));
  await pp.getByLabel('Who').selectOption('FAMILY');
  await pp.getByRole('button', { name: 'Create invitation link' }).click();
  const revokedLink = await pp.getByLabel('Link for the family member').inputValue();
  const invited = pp.getByRole('list', { name: 'Invited guests' });
  await invited.getByText('for my father').waitFor();
  await check(pt, 'visit-guests-invite');
  await invited.getByRole('button', { name: 'Revoke the invitation (family member)' }).click();
  await invited.locator('li[data-status="REVOKED"]').waitFor();

  // The revoked link is refused, and nothing is redeemed.
  await xp.goto(revokedLink);
  await xp.getByLabel('Your name').fill('Meredith Grey');
  await xp.getByRole('button', { name: 'Enter the waiting room' }).click();
  await xp.getByText('This invitation has ended').waitFor();
  await check(xt, 'visit-guest-link-revoked');

  // The interpreter, signed out, redeems the link: the token leaves the address bar; they wait in the lobby.
  await redeemAs(gp, link, 'Ana Lima');
  assert.equal(new URL(gp.url()).hash, '', 'the spent token is gone from the address bar');
  await gp.getByRole('button', { name: 'Join video visit' }).click();
  await callState(gp, 'lobby');
  await gp.getByText('Dr. Cristina Yang has not joined yet.').waitFor();
  await check(gt, 'visit-guest-lobby');
  // The link works once: a second redemption (another device) is refused.
  await xp.goto(link);
  await xp.getByLabel('Your name').fill('Someone Else');
  await xp.getByRole('button', { name: 'Enter the waiting room' }).click();
  await xp.getByText('This link has already been used').waitFor();

  // Patient and doctor join; the doctor sees both waiting and admits them.
  await openVisit(pp, patient.username, 'patient', id);
  await pp.getByRole('button', { name: 'Join video visit' }).click();
  await callState(pp, 'lobby');
  await openVisit(dp, doctor.username, 'doctor', id);
  await dp.getByRole('button', { name: 'Join video visit' }).click();
  await dp.getByText('Ana Lima (interpreter) is waiting.').waitFor();
  await dp.getByText('Lexie Grey is waiting.').waitFor();
  await check(dt, 'visit-guest-waiting-doctor');
  await dp.getByRole('button', { name: 'Admit Lexie Grey' }).click();
  await connectedWith(pp, 1);
  await dp.getByRole('button', { name: 'Admit Ana Lima (interpreter)' }).click();

  // Three-way: each side sees and hears both others.
  for (const page of [pp, dp, gp]) {
    await connectedWith(page, 2);
    await seesAll(page, 2);
    await hearsAll(page, 2);
  }
  assert.deepEqual(await gp.locator('figure.tile figcaption').allTextContents(), ['Dr. Cristina Yang', 'Lexie Grey']);
  assert.deepEqual(
    await pp.locator('figure.tile figcaption').allTextContents(),
    ['Dr. Cristina Yang', 'Ana Lima (interpreter)'],
    'the patient sees who else was let in',
  );
  await check(gt, 'visit-guest-three-way');
  await check(pt, 'visit-three-way-patient');

  // The doctor shares the screen: the patient and the interpreter both see it; the interpreter cannot share.
  assert.equal(await gp.getByRole('button', { name: 'Share screen' }).count(), 0);
  await dp.getByRole('button', { name: 'Share screen' }).click();
  await dp.getByText('You are sharing: your entire screen.').waitFor();
  await dp.getByText('The others see it instead of your camera.').waitFor();
  for (const page of [pp, gp]) {
    await page.getByText('Dr. Cristina Yang is sharing their screen.').waitFor();
    await seesAll(page, 2);
  }
  await check(dt, 'visit-three-way-sharing-doctor');
  await dp.getByRole('button', { name: 'Stop sharing' }).click();
  for (const page of [pp, gp]) await page.getByText('Dr. Cristina Yang is sharing their screen.').waitFor({ state: 'detached' });

  // The interpreter leaves; the call goes on for the two others.
  await gp.getByRole('button', { name: 'Hang up' }).click();
  await callState(gp, 'ended');
  for (const page of [pp, dp]) await connectedWith(page, 1);
  for (const page of [pp, dp]) {
    await page.getByRole('button', { name: 'Hang up' }).click();
    await callState(page, 'ended');
  }

  // The patient's access log names the interpreter: redeemed, admitted by the doctor, joined, left.
  await pp.getByRole('link', { name: 'Access log' }).click();
  const log = pp.getByRole('list', { name: 'Access log' });
  await log.getByText('Your guest (interpreter) joined a video visit').first().waitFor();
  await log.getByText('Your guest (interpreter) accepted the invitation to your video visit').first().waitFor();
  await log.getByText('Dr. Cristina Yang admitted a guest to your video visit').first().waitFor();
  await check(pt, 'visit-guest-access-log');

  // An expired link: created in the window, opened after the visit closed.
  const late = await app.request('POST', `/api/v1/appointments/${id}/visit/guests`, { token: patient.token, body: { role: 'CAREGIVER' } });
  assert.equal(late.status, 201, late.text);
  pinClock(app.app.platform, new Date(startsAt.getTime() + 30 * 60_000 + 31 * 60_000));
  try {
    await xp.goto(`${app.url}/visit/guest#${(late.body as { token: string }).token}`);
    await xp.getByLabel('Your name').fill('Izzie Stevens');
    await xp.getByRole('button', { name: 'Enter the waiting room' }).click();
    await xp.getByText('This invitation has ended').waitFor();
  } finally {
    pinClock(app.app.platform, null);
  }

  const frames = signals.map((s) => total(s.sent));
  console.log(
    `visit guests: three-way call; visit.* frames sent: patient ${frames[0]}, doctor ${frames[1]}, interpreter ${frames[2]}, total ${frames[0] + frames[1] + frames[2]}`,
  );
  for (const tab of [pt, dt, gt, xt]) assert.deepEqual(tab.problems, []);
  await Promise.all([pt, dt, gt, xt].map((tab) => tab.context.close()));
});

test('the mesh measured: join → every remote frame at 2, 3 and 4 participants; admit → media; CPU per peer at four; a revoked guest is out at once', async () => {
  const { doctor, patient, id } = await joinableVisit(app, { doctor: ['Miranda', 'Bailey'], patient: ['Richard', 'Webber'] });
  const tabs = await Promise.all([0, 1, 2, 3].map(() => callTab(browser, app.url)));
  const [dp, pp, g1, g2] = tabs.map((tab) => tab.page);
  const signals = [dp, pp, g1, g2].map(countSignals);
  const invites: Array<{ id: string; token: string }> = [];
  for (const role of ['INTERPRETER', 'FAMILY']) {
    const res = await app.request('POST', `/api/v1/appointments/${id}/visit/guests`, { token: patient.token, body: { role } });
    assert.equal(res.status, 201, res.text);
    invites.push(res.body as { id: string; token: string });
  }
  await openVisit(dp, doctor.username, 'doctor', id);
  await openVisit(pp, patient.username, 'patient', id);
  await redeemAs(g1, `${app.url}/visit/guest#${invites[0].token}`, 'Guest One');
  await redeemAs(g2, `${app.url}/visit/guest#${invites[1].token}`, 'Guest Two');
  await dp.getByRole('button', { name: 'Join video visit' }).click();

  /** The participant on `page` is admitted (or re-joins, admitted already): ms until they see all `n` others. */
  const admitToMedia = async (page: Page, admitName: string, n: number) => {
    await page.getByRole('button', { name: 'Join video visit' }).click();
    await callState(page, 'lobby');
    const t0 = Date.now();
    await dp.getByRole('button', { name: `Admit ${admitName}` }).click();
    await seesAll(page, n);
    const ms = Date.now() - t0;
    await connectedWith(page, n);
    return ms;
  };
  /** Leaves and joins again (the admission holds): ms from "Join again" until every remote frame. */
  const rejoin = async (page: Page, n: number) => {
    await page.getByRole('button', { name: 'Hang up' }).click();
    await callState(page, 'ended');
    const t0 = Date.now();
    await page.getByRole('button', { name: 'Join again' }).click();
    await seesAll(page, n);
    const ms = Date.now() - t0;
    await connectedWith(page, n);
    return ms;
  };

  const admit = [await admitToMedia(pp, 'Richard Webber', 1)];
  const join2: number[] = [];
  for (let i = 0; i < REPEATS; i++) join2.push(await rejoin(pp, 1));
  admit.push(await admitToMedia(g1, 'Guest One (interpreter)', 2));
  const join3: number[] = [];
  for (let i = 0; i < REPEATS; i++) join3.push(await rejoin(g1, 2));
  admit.push(await admitToMedia(g2, 'Guest Two (family member)', 3));
  const join4: number[] = [];
  for (let i = 0; i < REPEATS; i++) join4.push(await rejoin(g2, 3));
  for (const page of [dp, pp, g1, g2]) {
    await connectedWith(page, 3);
    await seesAll(page, 3);
    await hearsAll(page, 3);
  }

  // CPU of the whole browser (every process) over a fixed window of the four-way call, per peer.
  const cdp = await browser.newBrowserCDPSession();
  const cpu = async () => {
    const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: Array<{ cpuTime: number }> };
    return processInfo.reduce((s, p) => s + p.cpuTime, 0);
  };
  const c0 = await cpu();
  const w0 = Date.now();
  // The window is five seconds of the doctor's video played on the last guest's page.
  const media0 = await g2.evaluate(() => document.querySelector<HTMLVideoElement>('video.remote')!.currentTime);
  await g2.waitForFunction((t0) => document.querySelector<HTMLVideoElement>('video.remote')!.currentTime > t0 + 5, media0, {
    polling: 500,
  });
  const perPeer = ((await cpu()) - c0) / ((Date.now() - w0) / 1000) / 4;

  // The patient revokes the second guest mid-call: they are out at once, the others go on with three.
  const res = await app.request('DELETE', `/api/v1/appointments/${id}/visit/guests/${invites[1].id}`, { token: patient.token });
  assert.equal(res.status, 204, res.text);
  await callState(g2, 'revoked');
  await g2.getByText('The patient or the doctor withdrew your invitation.').waitFor();
  assert.equal(await g2.getByRole('button', { name: 'Join again' }).count(), 0);
  for (const page of [dp, pp, g1]) await connectedWith(page, 2);
  await check(tabs[3], 'visit-guest-revoked');

  const frames = signals.map((s) => total(s.sent));
  console.log(
    [
      `visit mesh: join → every remote frame p50 ${p50(join2)} ms at 2 (${join2.join(', ')}), ${p50(join3)} ms at 3 (${join3.join(', ')}), ${p50(join4)} ms at 4 (${join4.join(', ')})`,
      `admit → media ${admit.join(', ')} ms (2, 3, 4 participants)`,
      `browser CPU per peer at 4: ${(perPeer * 100).toFixed(0)} % of a core`,
      `visit.* frames sent: doctor ${frames[0]}, patient ${frames[1]}, guests ${frames[2]} and ${frames[3]} (${admit.length + 3 * REPEATS} joins)`,
    ].join('; '),
  );
  for (const tab of tabs) assert.deepEqual(tab.problems, []);
  await Promise.all(tabs.map((tab) => tab.context.close()));
});
