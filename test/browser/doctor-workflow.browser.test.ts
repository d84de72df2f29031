// Journey: the doctor's day-to-day tools. A booking is moved from the agenda and every screen shows the new time at
// once (the freed slot is offered again, the taken one is not); a day's hours are copied to the other weekdays in
// one step; a browser set to UTC signs up in UTC, not in the first zone of the list (Africa/Abidjan).
// The server's clock is pinned (Monday 2027-01-04 08:00 Berlin) and the browser's starts at the same instant.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPatient, type Person } from '../helpers.ts';
import { book, pinNow, workingDoctor } from '../fixtures/booking.ts';
import { check, journeyFixture, openTab, signIn, type Tab } from './browser.ts';

const NOW = '2027-01-04T07:00:00.000Z';
const BOOKED = '2027-01-05T09:00:00.000Z'; // Tuesday 10:00 Berlin
const MOVED = '2027-01-05T10:00:00.000Z'; // Tuesday 11:00 Berlin

const { state, setup, teardown } = journeyFixture('doctor workflow journey');
let doctor: Person, patient: Person, appointmentId: string;
before(async () => {
  await setup();
  pinNow(state.app, NOW);
  doctor = await workingDoctor(state.app, {
    weekly: [{ weekday: 2, start: '10:00', end: '12:00' }],
    body: { firstname: 'Wim', lastname: 'Works' },
  });
  patient = await createPatient(state.app, { body: { firstname: 'Pia', lastname: 'Page' } });
  const res = await book(state.app, patient, doctor.id, BOOKED);
  assert.equal(res.status, 201, res.text);
  appointmentId = res.body.id;
});
after(teardown);

async function pinnedTab(): Promise<Tab> {
  const tab = await openTab(state.browser, state.app.url);
  await tab.context.clock.install({ time: new Date(NOW) });
  return tab;
}

test('the doctor reschedules from the agenda; the card, the slots and the API follow at once', async () => {
  const tab = await pinnedTab();
  const { page } = tab;
  await signIn(page, doctor.username);
  await page.getByRole('heading', { name: 'Agenda' }).waitFor();
  const card = page.getByRole('listitem').filter({ hasText: 'Pia Page' });
  await card.getByRole('heading', { name: /^10:00–10:30/ }).waitFor();
  await card.getByRole('button', { name: 'Reschedule' }).click();
  // Tuesday's free times: 10:00 is taken by this very appointment, 11:00 is free.
  const picker = card.getByRole('region', { name: 'Free times' });
  await picker.getByRole('button', { name: /^11:00\b[^,]* on Tuesday/ }).waitFor();
  assert.equal(await picker.getByRole('button', { name: /^10:00\b[^,]* on Tuesday/ }).count(), 0);
  await check(tab, 'doctor-agenda-reschedule');
  await picker.getByRole('button', { name: /^11:00\b[^,]* on Tuesday/ }).click();
  await card.getByRole('button', { name: 'Move Pia Page to the selected time' }).click();
  await card.getByRole('heading', { name: /^11:00–11:30/ }).waitFor();
  // The form closed, and the slot grid is fresh when opened again: 10:00 is free, 11:00 taken.
  assert.equal(await card.getByRole('region', { name: 'Free times' }).count(), 0);
  await card.getByRole('button', { name: 'Reschedule' }).click();
  await picker.getByRole('button', { name: /^10:00\b[^,]* on Tuesday/ }).waitFor();
  assert.equal(await picker.getByRole('button', { name: /^11:00\b[^,]* on Tuesday/ }).count(), 0);

  const res = await state.app.request('GET', `/api/v1/appointments/${appointmentId}`, { token: patient.token });
  assert.equal(res.body.startsAt, MOVED);

  // Cancelling closes its form and leaves the card in its new state.
  await card.getByRole('button', { name: 'Reschedule' }).click();
  await card.getByRole('button', { name: 'Cancel', exact: true }).click();
  await card.getByLabel('Reason for the patient (optional)').fill('Away that day');
  await card.getByRole('button', { name: 'Cancel appointment' }).click();
  await card.getByText('Cancelled', { exact: true }).waitFor();
  assert.equal(await card.getByLabel('Reason for the patient (optional)').count(), 0);
  await tab.context.close();
});

test("a day's hours are copied to every weekday in one step and saved", async () => {
  const tab = await pinnedTab();
  const { page } = tab;
  await signIn(page, doctor.username);
  await page.getByRole('heading', { name: 'Agenda' }).waitFor();
  await page.getByRole('link', { name: 'Availability' }).click();
  await page.getByRole('heading', { name: 'Weekly availability' }).waitFor();
  const copy = page.getByRole('group', { name: "Copy a day's hours" });
  await copy.getByLabel('Copy the hours of').selectOption({ label: 'Tuesday' });
  await copy.getByRole('button', { name: 'All weekdays' }).click();
  await copy.getByRole('button', { name: 'Copy hours' }).click();
  await copy.getByText("Tuesday's hours copied to Monday, Wednesday, Thursday, Friday. Save to keep them.").waitFor();
  await check(tab, 'doctor-availability-copied');
  await page.getByRole('button', { name: 'Save availability' }).click();
  await page.getByText('Availability saved.').waitFor();
  const res = await state.app.request('GET', '/api/v1/doctors/me/availability', { token: doctor.token });
  assert.deepEqual(res.body.weekly.map((r: { weekday: number; start: string; end: string }) => `${r.weekday} ${r.start}-${r.end}`).sort(), [
    '1 10:00-12:00',
    '2 10:00-12:00',
    '3 10:00-12:00',
    '4 10:00-12:00',
    '5 10:00-12:00',
  ]);
  await tab.context.close();
});

test('a browser set to UTC signs up in UTC, offered first as this device’s zone', async () => {
  const context = await state.browser.newContext({ baseURL: state.app.url, timezoneId: 'UTC', locale: 'en-GB' });
  const page = await context.newPage();
  await page.goto('/signup');
  await page.getByRole('radio', { name: 'Doctor' }).check();
  const zone = page.getByLabel('Time zone');
  assert.equal(await zone.inputValue(), 'UTC');
  assert.equal(await zone.locator('option').first().textContent(), 'UTC (this device)');
  await context.close();
});
