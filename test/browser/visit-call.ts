// Shared steps of the video-visit browser tests: Chromium with fake camera and microphone, the portal's
// visit page driven through its buttons, and what the tests read back (frames sent, remote video playing,
// the RTCPeerConnections' configuration and selected candidate pair). Every wait is for an event.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PORTAL_DIST } from '../../src/platform/static.ts';
import { appointmentFixture, createDoctor, createPatient, type TestApp } from '../helpers.ts';
import { CHROMIUM, openTab, signIn, type Tab } from './browser.ts';

/** Chromium that grants camera and microphone and feeds them a synthetic picture and tone. */
export async function launchWithFakeMedia(): Promise<Browser> {
  assert.ok(existsSync(join(PORTAL_DIST, 'index.html')), 'the portal is not built: run npm run build:web');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-dev-shm-usage',
      '--disable-gpu',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/**
 * A tab with camera and microphone granted whose RTCPeerConnections are remembered on `window.__pcs`
 * (injected by the DevTools protocol before the portal's scripts, so its CSP stays as it is).
 */
export async function callTab(browser: Browser, baseURL: string): Promise<Tab> {
  const tab = await openTab(browser, baseURL);
  await tab.context.grantPermissions(['camera', 'microphone']);
  await tab.context.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    const pcs: RTCPeerConnection[] = [];
    (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = pcs;
    window.RTCPeerConnection = class extends Native {
      constructor(config?: RTCConfiguration) {
        super(config);
        pcs.push(this);
      }
    };
  });
  return tab;
}

/**
 * A verified doctor and a patient (named for the journey's screenshots) with a confirmed 30-minute visit that
 * starts in five minutes: its window (opening 10 minutes before) is open now, and it is still "upcoming".
 */
export async function joinableVisit(app: TestApp, names: { doctor: [string, string]; patient: [string, string] }) {
  const doctor = await createDoctor(app, { credentials: 'VERIFIED', body: { firstname: names.doctor[0], lastname: names.doctor[1] } });
  const patient = await createPatient(app, { body: { firstname: names.patient[0], lastname: names.patient[1] } });
  const startsAt = new Date(Date.now() + 5 * 60_000);
  const id = await appointmentFixture(app, { doctorId: doctor.id, patientId: patient.id, status: 'CONFIRMED', startsAt, minutes: 30 });
  return { doctor, patient, id, startsAt };
}

/** What most visit journeys start from: a joinable visit and a call tab for each of its two participants. */
export async function visitPair(app: TestApp, browser: Browser, names: { doctor: [string, string]; patient: [string, string] }) {
  const visit = await joinableVisit(app, names);
  const pt = await callTab(browser, app.url);
  const dt = await callTab(browser, app.url);
  return { ...visit, pt, dt, pp: pt.page, dp: dt.page };
}

/** visit.* frames this page sent over its WebSocket, by type; and the ICE candidate lines among them. */
export function countSignals(page: Page): { sent: Map<string, number>; candidates: string[] } {
  const sent = new Map<string, number>();
  const candidates: string[] = [];
  page.on('websocket', (ws) => {
    ws.on('framesent', (f) => {
      const m = /"type":"(visit\.[a-z-]+)"/.exec(String(f.payload));
      if (!m) return;
      sent.set(m[1], (sent.get(m[1]) ?? 0) + 1);
      const c = (JSON.parse(String(f.payload)) as { data?: { candidate?: { candidate?: string } | null } }).data?.candidate?.candidate;
      if (c) candidates.push(c);
    });
  });
  return { sent, candidates };
}
export const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

export const callState = (page: Page, s: string) => page.locator(`.call-state[data-state="${s}"]`).waitFor();

/** Resolves at the first frame of the remote <video>: a size, and a running clock. */
export async function firstRemoteFrame(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const v = document.querySelector<HTMLVideoElement>('video.remote');
      return Boolean(v && v.videoWidth > 0 && v.currentTime > 0);
    },
    undefined,
    { polling: 'raf' },
  );
}

/** The remote <video> shows frames: a size, and its time advances. */
export async function playsFrames(page: Page): Promise<void> {
  await firstRemoteFrame(page);
  const t = await page.evaluate(() => document.querySelector<HTMLVideoElement>('video.remote')!.currentTime);
  await page.waitForFunction((t0) => document.querySelector<HTMLVideoElement>('video.remote')!.currentTime > t0, t, { polling: 'raf' });
}

/** Signs in and opens the visit page of the appointment (the preview runs once it shows the camera). */
export async function openVisit(page: Page, username: string, role: 'patient' | 'doctor', appointmentId: string): Promise<void> {
  await signIn(page, username);
  if (role === 'doctor') await page.getByRole('heading', { name: 'Agenda' }).waitFor();
  else await page.getByRole('link', { name: 'Appointments', exact: true }).waitFor();
  await page.goto(`/${role}/visits/${appointmentId}`);
  await page.getByRole('heading', { name: 'Video visit', exact: true }).waitFor();
  await page.waitForFunction(() => (document.querySelector<HTMLVideoElement>('video.local')?.videoWidth ?? 0) > 0);
}

/**
 * The patient joins and waits for the doctor, the doctor joins: answers the milliseconds from the
 * doctor's "Join" to the first remote frame on the doctor's page, once both are connected and playing.
 */
export async function call(pp: Page, dp: Page, doctorName: string, joinName = 'Join video visit'): Promise<number> {
  await pp.getByRole('button', { name: joinName }).click();
  await pp.getByText(`Waiting for ${doctorName}`).waitFor();
  const t0 = Date.now();
  await dp.getByRole('button', { name: joinName }).click();
  await firstRemoteFrame(dp);
  const ms = Date.now() - t0;
  for (const page of [pp, dp]) {
    await page.locator('.call-state[data-pc-state="connected"]').waitFor();
    await page.getByText('Connected', { exact: true }).waitFor();
    await playsFrames(page);
  }
  return ms;
}

/** One side hangs up: the call ends on both sides; then the other hangs up too (both out of the visit). */
export async function hangUp(leaver: Page, stayer: Page, leaverName: string): Promise<void> {
  await leaver.getByRole('button', { name: 'Hang up' }).click();
  await callState(leaver, 'ended');
  await callState(stayer, 'peer-left');
  await stayer.getByText(`${leaverName} left the visit`).waitFor();
  assert.equal(await stayer.locator('.call-state').getAttribute('data-pc-state'), 'none');
  await stayer.getByRole('button', { name: 'Hang up' }).click();
  await callState(stayer, 'ended');
}

export interface SelectedPair {
  iceTransportPolicy: string | undefined;
  pair: { state: string; nominated: boolean };
  local: { candidateType: string; address?: string; relayProtocol?: string };
  remote: { candidateType: string; address?: string };
}

/**
 * The page's live RTCPeerConnection: its configured policy and, from getStats, the candidate pair the
 * transport selected (Chromium names it in `transport.selectedCandidatePairId`).
 */
export async function selectedPair(page: Page): Promise<SelectedPair> {
  return page.evaluate(async () => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs;
    const pc = pcs.filter((p) => p.connectionState === 'connected').at(-1);
    if (!pc) throw new Error(`no connected RTCPeerConnection among ${pcs.length}`);
    const stats = [...(await pc.getStats()).values()] as Array<Record<string, any>>;
    const byId = new Map(stats.map((s) => [s.id as string, s]));
    const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
    if (!transport) throw new Error('no transport with a selected candidate pair');
    const pair = byId.get(transport.selectedCandidatePairId)!;
    const local = byId.get(pair.localCandidateId)!;
    const remote = byId.get(pair.remoteCandidateId)!;
    return {
      iceTransportPolicy: pc.getConfiguration().iceTransportPolicy,
      pair: { state: pair.state, nominated: pair.nominated },
      local: { candidateType: local.candidateType, address: local.address, relayProtocol: local.relayProtocol },
      remote: { candidateType: remote.candidateType, address: remote.address },
    };
  });
}
