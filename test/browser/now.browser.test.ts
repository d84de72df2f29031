// Journey: "Now". A confirmed appointment began two minutes ago: the patient still finds it above every
// page with a Join button (and in "Upcoming", not "Past"), joins the visit from there, and the doctor's agenda
// shows "Patient waiting" live (WebSocket `visit.presence`), gone again once the patient hangs up.
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { appointmentFixture, build, createDoctor, createPatient, type TestApp } from '../helpers.ts';
import { check, signIn } from './browser.ts';
import { callState, callTab, launchWithFakeMedia } from './visit-call.ts';

let app: TestApp;
let browser: Browser;

before(async () => {
  // The plain two-person call (the waiting room has its own journey, visit-lobby.browser.test.ts).
  [app, browser] = await Promise.all([build(undefined, { visitWaitingRoom: false }), launchWithFakeMedia()]);
});
after(async () => {
  await browser?.close();
  await app?.close();
});

test('a patient two minutes late joins from "Now"; the doctor sees the patient waiting, live', async () => {
  const doctor = await createDoctor(app, { credentials: 'VERIFIED', body: { firstname: 'Hanna', lastname: 'Hoffmann' } });
  const patient = await createPatient(app, { body: { firstname: 'Lena', lastname: 'Late' } });
  // Began two minutes ago (real clocks on both sides): the window is open until 30 minutes after the end.
  const startsAt = new Date(Date.now() - 2 * 60_000);
  const id = await appointmentFixture(app, { doctorId: doctor.id, patientId: patient.id, status: 'CONFIRMED', startsAt, minutes: 30 });

  const dt = await callTab(browser, app.url);
  const pt = await callTab(browser, app.url);
  const dp = dt.page;
  const pp = pt.page;

  await signIn(dp, doctor.username);
  await dp.getByRole('heading', { name: 'Agenda' }).waitFor();
  const doctorNow = dp.getByRole('complementary', { name: 'Now' });
  await doctorNow.getByRole('button', { name: 'Join now: Lena Late' }).waitFor();
  await check(dt, 'now-doctor-agenda');

  await signIn(pp, patient.username);
  const patientNow = pp.getByRole('complementary', { name: 'Now' });
  await patientNow.getByRole('button', { name: 'Join now: Dr. Hanna Hoffmann' }).waitFor();
  // Still upcoming, with its join button, not among the past ones.
  await pp.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Appointments', exact: true }).click();
  await pp.getByRole('list', { name: 'upcoming appointments' }).getByRole('button', { name: 'Join video visit' }).waitFor();
  await check(pt, 'now-patient-appointments');

  await patientNow.getByRole('button', { name: 'Join now: Dr. Hanna Hoffmann' }).click();
  await pp.waitForURL(`**/patient/visits/${id}`);
  await pp.getByRole('heading', { name: 'Video visit', exact: true }).waitFor();
  await pp.getByRole('button', { name: 'Join video visit' }).click();
  await pp.getByText('Waiting for Dr. Hanna Hoffmann').waitFor();

  // The agenda, not reloaded, shows the patient waiting: above the page and on the appointment.
  await doctorNow.getByText('Patient waiting').waitFor();
  await dp.locator('main').getByText('Patient waiting').waitFor();
  await check(dt, 'now-doctor-patient-waiting');

  await pp.getByRole('button', { name: 'Hang up' }).click();
  await callState(pp, 'ended');
  await doctorNow.getByText('Patient waiting').waitFor({ state: 'detached' });
  await dp.locator('main').getByText('Patient waiting').waitFor({ state: 'detached' });

  // The doctor joins from "Now" too.
  await doctorNow.getByRole('button', { name: 'Join now: Lena Late' }).click();
  await dp.waitForURL(`**/doctor/visits/${id}`);
  await dp.getByRole('heading', { name: 'Video visit', exact: true }).waitFor();
});
