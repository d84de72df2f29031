// Journey: a doctor and a patient meet through the portal, from sign-up to a prescription PDF; through the UI only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createAdminUser, unique } from '../helpers.ts';
import { check, journeyFixture, openTab, signIn, signUp } from './browser.ts';

const { state, setup, teardown } = journeyFixture('care journey');
before(setup);
after(teardown);

test('patient and doctor: sign up, availability, admin verification, booking, live messages, confirmation, prescription PDF', async () => {
  const doctorTab = await openTab(state.browser, state.app.url);
  const patientTab = await openTab(state.browser, state.app.url);
  const adminTab = await openTab(state.browser, state.app.url);
  const doc = { username: unique('wdoc'), firstname: 'Ada', lastname: `Heart${unique('')}` };
  const pat = { username: unique('wpat'), firstname: 'Pia', lastname: 'Patient' };

  // Doctor: sign up, verify the email, sign in: pending credentials are explained.
  await signUp(doctorTab, 'Doctor', doc);
  const dp = doctorTab.page;
  await signIn(dp, doc.username);
  await dp.getByRole('heading', { name: 'Agenda' }).waitFor();
  await dp.getByText('An administrator is checking your credentials').waitFor();
  await check(doctorTab, 'doctor-agenda-pending');

  // Weekly availability: every day, all day, with the live preview.
  await dp.getByRole('link', { name: 'Availability' }).click();
  await dp.getByRole('heading', { name: 'Weekly availability' }).waitFor();
  for (let i = 0; i < 7; i++) {
    await dp.getByRole('button', { name: 'Add a period' }).click();
    await dp
      .getByLabel('Day')
      .nth(i)
      .selectOption(String(i + 1));
    await dp.getByLabel('From', { exact: true }).nth(i).fill('00:00');
    await dp.getByLabel('Until', { exact: true }).nth(i).fill('23:30');
  }
  await dp.getByRole('heading', { name: 'Sunday' }).waitFor();
  await dp.getByRole('button', { name: 'Save availability' }).click();
  await dp.getByText('Availability saved.').waitFor();
  await check(doctorTab, 'doctor-availability');

  // Admin verifies the doctor through the admin pages.
  const admin = await createAdminUser(state.app);
  const ap = adminTab.page;
  await signIn(ap, admin.username);
  await ap.getByRole('heading', { name: 'Doctor verification' }).waitFor();
  const name = `Dr. ${doc.firstname} ${doc.lastname}`;
  await ap.getByLabel(`Note for ${name} (optional)`).fill('License checked with the registry');
  await check(adminTab, 'admin-doctors');
  await ap.getByRole('button', { name: `Verify ${name}` }).click();
  await ap.getByRole('heading', { name }).waitFor({ state: 'detached' });

  // Patient: sign up, verify, find the doctor, book a slot.
  await signUp(patientTab, 'Patient', pat);
  const pp = patientTab.page;
  await signIn(pp, pat.username);
  // With no appointment yet, a patient lands on their appointments (issue 25), and finds a doctor from there.
  await pp.getByRole('heading', { name: 'Appointments', exact: true }).waitFor();
  await pp.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Find a doctor' }).click();
  await pp.getByRole('heading', { name: 'Find a doctor' }).waitFor();
  await pp.getByLabel('Name, specialty or keyword').fill(doc.lastname);
  await pp.getByRole('button', { name: 'Search' }).click();
  await pp.getByRole('link', { name }).click();
  await pp.getByRole('heading', { name }).waitFor();
  await pp.getByText('the doctor works in Europe/Berlin').waitFor();
  await pp
    .getByRole('button', { name: /doctor's time/ })
    .first()
    .click();
  await pp.getByLabel('Reason for the visit (optional)').fill('Palpitations');
  await check(patientTab, 'patient-doctor-profile');
  await pp.getByRole('button', { name: 'Book appointment' }).click();
  await pp.getByText('Your appointment is booked.').waitFor();
  const upcoming = pp.getByRole('list', { name: 'upcoming appointments' });
  await upcoming.getByRole('heading', { name }).waitFor();
  await upcoming.getByText('Awaiting confirmation').waitFor();
  await check(patientTab, 'patient-appointments');

  // Patient writes; the doctor (after a reload, restored from the cookie) replies; the reply arrives live.
  await pp.getByRole('link', { name: 'Message the doctor' }).click();
  await pp.getByText('Live updates on').waitFor();
  await pp.getByLabel('Your message').fill('Hello doctor, my heart races at night.');
  await pp.getByRole('button', { name: 'Send' }).click();
  await pp.getByRole('list', { name: 'Messages' }).getByText('my heart races at night').waitFor();
  await dp.goto('/doctor/messages');
  await dp.getByRole('link', { name: `${pat.firstname} ${pat.lastname}` }).click();
  await dp.getByText('my heart races at night').waitFor();
  await dp.getByLabel('Your message').fill('Please keep a diary until our visit.');
  await dp.getByRole('button', { name: 'Send' }).click();
  await pp.getByRole('list', { name: 'Messages' }).getByText('Please keep a diary until our visit.').waitFor();
  await check(patientTab, 'patient-messages');
  await check(doctorTab, 'doctor-messages');

  // Doctor confirms in the agenda and writes a prescription from the patient's record.
  await dp.getByRole('link', { name: 'Agenda' }).click();
  await dp.getByRole('button', { name: 'Confirm' }).click();
  await dp.getByText('Confirmed', { exact: true }).waitFor();
  await check(doctorTab, 'doctor-agenda');
  await dp.getByRole('link', { name: `Record of ${pat.firstname} ${pat.lastname}` }).click();
  await dp.getByRole('heading', { name: 'Write a prescription' }).waitFor();
  // The record page also has the clinical record's own Medication field: the prescription form is its section.
  const rx = dp.getByRole('region', { name: 'Write a prescription' });
  await rx.getByLabel('Medication', { exact: true }).fill('Bisoprolol');
  await rx.getByLabel('Dosage').fill('2.5 mg');
  await rx.getByLabel('Frequency').fill('once daily');
  await rx.getByRole('button', { name: 'Issue prescription' }).click();
  await dp.getByText('Bisoprolol 2.5 mg').waitFor();
  await check(doctorTab, 'doctor-patient-record');

  // Patient sees the confirmation live and downloads the PDF.
  await pp.getByRole('link', { name: 'Appointments', exact: true }).click();
  await pp.getByRole('list', { name: 'upcoming appointments' }).getByText('Confirmed').waitFor();
  await pp.getByRole('link', { name: 'Prescriptions' }).click();
  await pp.getByText('Bisoprolol').waitFor();
  await check(patientTab, 'patient-prescriptions');
  const [download] = await Promise.all([pp.waitForEvent('download'), pp.getByRole('button', { name: 'Download PDF' }).click()]);
  const pdf = readFileSync((await download.path())!);
  assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');

  // Sign-out clears the session: a reload stays signed out.
  await pp.getByRole('button', { name: 'Sign out' }).click();
  await pp.getByRole('heading', { name: 'Sign in' }).waitFor();
  await pp.goto('/patient/appointments');
  await pp.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal((await patientTab.context.cookies()).filter((c) => c.name.startsWith('tc_')).length, 0);
  for (const t of [doctorTab, patientTab, adminTab]) await t.context.close();
});
