// Journey (issue 27): on a phone-sized page a patient fills a 20-item intake form by keyboard, saves, leaves,
// comes back to find the answers there, and submits; then, on the visit page, accepts the telehealth consent
// and states where they are before "Join" is offered. The doctor sees the answers, the consent and the
// location, and keeps questionnaires in the editor under Settings. axe-core on every page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appointmentFixture, createAdminUser, createDoctor, createPatient } from '../helpers.ts';
import { check, journeyFixture, openTab, signIn } from './browser.ts';

const { state, setup, teardown } = journeyFixture('intake journey');
before(setup);
after(teardown);

const TYPES = ['string', 'text', 'boolean', 'choice', 'date', 'integer'] as const;
/** 20 items, every type several times; the first of each type required. */
const ITEMS = Array.from({ length: 20 }, (_, i) => {
  const type = TYPES[i % TYPES.length];
  return {
    linkId: `q${i + 1}`,
    text: `Question ${i + 1} (${type})`,
    type,
    required: i < TYPES.length,
    ...(type === 'choice' ? { options: ['Never', 'Sometimes', 'Often'] } : {}),
  };
});
const API = '/api/v1';

test('intake and consent: fill on a phone, leave, come back, submit; consent and location, then Join', async () => {
  const { app, browser } = state;
  const doctor = await createDoctor(app, { credentials: 'VERIFIED', body: { firstname: 'Miranda', lastname: 'Bailey' } });
  const patient = await createPatient(app, { body: { firstname: 'George', lastname: 'Omalley' } });
  const admin = await createAdminUser(app);
  const q = await app.request('POST', `${API}/doctors/me/questionnaires`, {
    token: doctor.token,
    body: { title: 'Before your visit', items: ITEMS },
  });
  assert.equal(q.status, 201, q.text);
  assert.equal(
    (await app.request('PATCH', `${API}/doctors/me`, { token: doctor.token, body: { intakeQuestionnaireId: q.body.id } })).status,
    200,
  );
  // The admin is told no consent is published yet, and publishes one.
  const at = await openTab(browser, app.url);
  await signIn(at.page, admin.username);
  await at.page.getByRole('heading', { name: 'Doctor verification' }).waitFor();
  await at.page.getByText('No telehealth consent is published').waitFor();
  await at.page.getByLabel('New version (Markdown)').fill('# Telehealth consent\n\nI agree to be **seen by video**.');
  await check(at, 'admin-telehealth-consent');
  await at.page.getByRole('button', { name: 'Publish new version' }).click();
  await at.page.getByText(/Version 1, published/).waitFor();
  // Starts in 5 minutes: the visit's window is open now.
  const startsAt = new Date(Date.now() + 5 * 60_000);
  const id = await appointmentFixture(app, { doctorId: doctor.id, patientId: patient.id, status: 'CONFIRMED', startsAt });

  const pt = await openTab(browser, app.url);
  const page = pt.page;
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page, patient.username);
  // A patient with an upcoming appointment lands on it (issue 25).
  await page.waitForURL((u) => u.pathname === `/appointments/${id}`);
  await page.goto(`/appointments/${id}`);
  await page.getByRole('heading', { name: 'Intake form' }).waitFor();

  // Keyboard only: focus each control, type or press Space on a radio.
  const type = async (label: string, text: string) => {
    await page.getByLabel(label).focus();
    await page.keyboard.type(text);
  };
  const pick = async (group: string, option: string) => {
    await page.getByRole('radiogroup', { name: group }).getByRole('radio', { name: option }).focus();
    await page.keyboard.press('Space');
  };
  await type('Question 1 (string) (required)', 'Headache since Monday');
  await type('Question 2 (text) (required)', 'Worse in the morning');
  await pick('Question 3 (boolean) (required)', 'No');
  await pick('Question 4 (choice) (required)', 'Sometimes');
  // Half-way: a wrong whole number is named beside its field when saved.
  await type('Question 6 (integer) (required)', '7.5');
  await page.getByRole('button', { name: 'Save answers' }).press('Enter');
  const error = page.locator('#q-q6-err');
  await error.waitFor();
  assert.equal(await page.getByLabel('Question 6 (integer) (required)').getAttribute('aria-describedby'), 'q-q6-err');
  await page.getByLabel('Question 6 (integer) (required)').fill('');
  await type('Question 6 (integer) (required)', '72');
  await page.getByRole('button', { name: 'Save answers' }).press('Enter');
  await page.getByText('Your answers are saved.').waitFor();
  await check(pt, 'patient-intake-form');

  // Leave, come back: the answers are there.
  await page.goto('/patient/appointments');
  await page.getByRole('heading', { name: 'Appointments' }).first().waitFor();
  await page.goto(`/appointments/${id}`);
  await page.getByRole('heading', { name: 'Intake form' }).waitFor();
  assert.equal(await page.getByLabel('Question 1 (string) (required)').inputValue(), 'Headache since Monday');
  assert.equal(await page.getByLabel('Question 6 (integer) (required)').inputValue(), '72');
  assert.equal(
    await page.getByRole('radiogroup', { name: 'Question 4 (choice) (required)' }).getByRole('radio', { name: 'Sometimes' }).isChecked(),
    true,
  );

  // Submitting without a required answer names it; with it, the form is submitted and shown read-only.
  await page.getByRole('button', { name: 'Submit intake form' }).press('Enter');
  await page.locator('#q-q5-err').waitFor();
  await page
    .getByRole('alert')
    .getByText(/Required items are not answered: q5/)
    .waitFor();
  await page.getByLabel('Question 5 (date) (required)').fill('2026-12-01');
  await page.getByRole('button', { name: 'Submit intake form' }).press('Enter');
  await page
    .getByText(/submitted/)
    .first()
    .waitFor();
  await page.getByText('Headache since Monday').waitFor();
  await check(pt, 'patient-intake-submitted');

  // The visit: consent, then location, then Join, on the same page.
  await page.goto(`/patient/visits/${id}`);
  await page.getByRole('heading', { name: 'Before you join' }).waitFor();
  await page.getByText('seen by video', { exact: true }).waitFor();
  await check(pt, 'patient-visit-consent');
  await page.getByLabel(/I have read the consent/).check();
  await page.getByRole('button', { name: 'Accept and continue' }).click();
  await page.getByRole('heading', { name: 'Where are you right now?' }).waitFor();
  await page.getByLabel('Country').fill('US');
  await page.getByLabel('State or region').fill('AL');
  await page.getByLabel('City (optional)').fill('Mobile');
  await check(pt, 'patient-visit-location');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Join video visit' }).waitFor();

  // The doctor: the answers on the appointment, the consent and the location in the visit, the editor.
  const dt = await openTab(browser, app.url);
  const dp = dt.page;
  await signIn(dp, doctor.username);
  await dp.getByRole('heading', { name: 'Agenda' }).waitFor();
  await dp.goto(`/appointments/${id}`);
  await dp.getByRole('heading', { name: 'Intake form' }).waitFor();
  await dp.getByText('Headache since Monday').waitFor();
  await check(dt, 'doctor-intake-answers');
  // One answer copied into the record, explicitly: as a problem, named by the answer (free text).
  await dp.getByRole('button', { name: 'Copy to record: Question 1 (string)' }).click();
  await dp.getByLabel('Record as').selectOption('problem');
  assert.equal(await dp.getByLabel('Condition').inputValue(), 'Headache since Monday');
  await dp.getByRole('button', { name: 'Add to the record' }).click();
  await dp.getByText('Added to the record as a problem.').waitFor();
  await dp.getByText('(in the record as a problem)').waitFor();
  const problems = await app.request('GET', `${API}/patients/${patient.id}/problems`, { token: doctor.token });
  assert.deepEqual(
    problems.body.items.map((p: any) => [p.condition.display, p.source]),
    [['Headache since Monday', { responseId: id, linkId: 'q1' }]],
  );
  await dp.goto(`/doctor/visits/${id}`);
  await dp.getByText('Accepted (version 1)').waitFor();
  await dp.getByText('Mobile, US-AL, US').waitFor();
  await dp.goto('/doctor/settings');
  await dp.getByRole('heading', { name: 'Intake questionnaires' }).waitFor();
  await dp.getByRole('button', { name: 'New questionnaire' }).click();
  await dp.getByLabel('Title').fill('Follow-up');
  await dp.getByRole('button', { name: 'Add a question' }).click();
  await dp.getByLabel('Question 1', { exact: true }).fill('How do you feel?');
  await dp.getByLabel('Answer type of question 1').selectOption('choice');
  await dp.getByLabel('Options of question 1 (one per line)').fill('Better\nThe same\nWorse');
  await dp.getByLabel('Question 1 is required').check();
  await check(dt, 'doctor-questionnaire-editor');
  await dp.getByRole('button', { name: 'Save questionnaire' }).click();
  await dp.getByRole('button', { name: 'Use Follow-up for new appointments' }).click();
  await dp.getByText('default').last().waitFor();
  const mine = await app.request('GET', `${API}/doctors/me/questionnaires`, { token: doctor.token });
  const followUp = mine.body.find((x: any) => x.title === 'Follow-up');
  assert.deepEqual(followUp.items, [
    { linkId: 'q1', text: 'How do you feel?', type: 'choice', required: true, options: ['Better', 'The same', 'Worse'] },
  ]);

  assert.deepEqual(at.problems, []);
  assert.deepEqual(pt.problems, []);
  assert.deepEqual(dt.problems, []);
});
