// Journey: scheduling beyond booking, in the portal. A patient joins the waitlist of a fully booked doctor, an
// offer arrives live when the doctor cancels another patient's appointment, counts down to the server's expiresAt
// and is accepted; another offer is declined and a third expires; the cancellation notice shows before booking and
// a late cancel is explained; the calendar-feed link is copied and rotated (the old one then answers 404).
// Both clocks are pinned where the waitlist fixtures pin them: the server's with pinNow, the browser's with
// Playwright's clock (installed at the same instant, then ticking in real time).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import ical from 'node-ical';
import { createPatient, type Person, type TestApp } from '../helpers.ts';
import { pinNow, workingDoctor } from '../fixtures/booking.ts';
import { cancel, HOLD_MS, joined, NOW, SLOT, waitlistApp } from '../fixtures/waitlist.ts';
import { axeResults, check, launch, openTab, signIn, type Tab, landed } from './browser.ts';

let app: TestApp;
let browser: Browser;
const started = Date.now();

before(async () => {
  [app, browser] = await Promise.all([waitlistApp(), launch()]);
});
after(async () => {
  await browser?.close();
  await app?.close();
  const serious = axeResults.reduce((n, r) => n + r.serious, 0);
  const all = axeResults.reduce((n, r) => n + r.violations, 0);
  console.log(
    `scheduling journey: ${axeResults.length} page checks with axe-core, ${serious} serious/critical, ${all} violations of any impact; ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
});

/** A tab whose page clock starts at the fixtures' NOW (Monday 2027-01-04 08:00 Berlin) and then runs. */
async function pinnedTab(): Promise<Tab> {
  const tab = await openTab(browser, app.url);
  await tab.context.clock.install({ time: new Date(NOW) });
  return tab;
}

/** A doctor whose only bookable time is Tuesday 10:00–10:30 Berlin (SLOT), already booked by someone else. */
async function fullyBookedDoctor(lastname: string): Promise<{ doctor: Person; holderAppointment: string }> {
  const doctor = await workingDoctor(app, {
    weekly: [{ weekday: 2, start: '10:00', end: '10:30' }],
    body: { firstname: 'Wanda', lastname },
  });
  const holder = await createPatient(app);
  const res = await app.request('POST', '/api/v1/appointments', { token: holder.token, body: { doctorId: doctor.id, startsAt: SLOT } });
  assert.equal(res.status, 201, res.text);
  return { doctor, holderAppointment: res.body.id };
}

const feedPath = (url: string) => new URL(url).pathname;

/** Start times of a feed's events, read back by a real iCalendar parser. */
async function feedStarts(url: string): Promise<string[]> {
  const res = await fetch(app.url + feedPath(url));
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/calendar/);
  const events = Object.values(ical.sync.parseICS(await res.text())).filter((c) => c?.type === 'VEVENT') as ical.VEvent[];
  return events.map((e) => e.start.toISOString());
}

let accepted: { patient: Person; doctor: Person } | null = null;

test('waitlist: join a fully booked doctor, the offer arrives live with a countdown, accept books it; the notice shows before booking and a late cancel is explained', async () => {
  const { doctor, holderAppointment } = await fullyBookedDoctor('Waitwell');
  const patient = await createPatient(app, { body: { firstname: 'Olive', lastname: 'Offered' } });
  const dt = await pinnedTab();
  const pt = await pinnedTab();
  const dp = dt.page;
  const pp = pt.page;

  // The doctor asks for 48 hours' notice, in the settings.
  await signIn(dp, doctor.username);
  await dp.getByRole('heading', { name: 'Agenda' }).waitFor();
  await dp.getByRole('link', { name: 'Settings' }).click();
  await dp.getByLabel('Cancellation notice (hours)').fill('48');
  await check(dt, 'doctor-settings-cancellation-notice');
  await dp.getByRole('button', { name: 'Save settings' }).click();
  await dp.getByText('Saved.').waitFor();

  // The patient sees no free time this week and the notice before booking, and joins the waitlist.
  await signIn(pp, patient.username);
  await landed(pp);
  await pp.goto(`/doctors/${doctor.id}`);
  await pp.getByRole('heading', { name: 'Dr. Wanda Waitwell' }).waitFor();
  await pp.getByText('No free times this week.').waitFor();
  await pp.getByText('Free cancellation up to 48 hours before the appointment').waitFor();
  const book = pp.getByRole('button', { name: 'Book appointment' });
  assert.match((await book.getAttribute('aria-describedby')) ?? '', /cancellation-policy/);
  assert.equal(await pp.getByLabel('First day that suits you').inputValue(), '2027-01-04', 'the window starts today, by the pinned clock');
  await pp.getByRole('button', { name: 'Join the waitlist' }).click();
  await pp.getByText('You are on the waitlist.').waitFor();
  const entries = pp.getByRole('list', { name: 'Waitlist entries' });
  await entries.getByText('Waiting', { exact: true }).waitFor();
  await entries.getByRole('button', { name: 'Leave the waitlist' }).waitFor();
  await check(pt, 'patient-waitlist-join');

  // The doctor cancels the other patient's appointment (through the API): the offer appears live, no reload.
  const res = await cancel(app, doctor, holderAppointment);
  assert.equal(res.status, 200, res.text);
  const offer = pp.getByRole('group', { name: 'A time is free for you' });
  await offer.waitFor();
  const expiresAt = new Date(Date.parse(NOW) + HOLD_MS).toISOString();
  // The countdown runs to the server's expiresAt (shown as a time too), and it ticks.
  await offer.locator(`time[datetime="${expiresAt}"]`).waitFor();
  await offer.locator(`time[datetime="${SLOT}"]`).waitFor();
  const timer = offer.getByRole('timer');
  const first = await timer.innerText();
  assert.match(first, /^1[45]:\d\d$/, `countdown ${first}`);
  await pp.waitForFunction((before) => document.querySelector('[role="timer"]')?.textContent !== before, first);
  await entries.getByText('Time offered').waitFor();
  await check(pt, 'patient-waitlist-offer');

  // Accept: the appointment is booked and listed.
  await offer.getByRole('button', { name: 'Accept this time' }).click();
  await pp.getByText('Your appointment is booked.').waitFor();
  const upcoming = pp.getByRole('list', { name: 'upcoming appointments' });
  await upcoming.getByRole('heading', { name: 'Dr. Wanda Waitwell' }).waitFor();
  await upcoming.locator(`time[datetime="${SLOT}"]`).waitFor();
  await pp.getByRole('list', { name: 'Waitlist entries' }).getByText('Booked').waitFor();

  // 26 hours before the start, a 48-hour notice has passed: the cancel is refused with a plain message.
  await upcoming.getByRole('button', { name: 'Cancel appointment' }).click();
  await upcoming.getByText('Free cancellation up to 48 hours before the appointment').waitFor();
  await upcoming.getByRole('button', { name: 'Confirm cancellation' }).click();
  const alert = upcoming.getByRole('alert');
  await alert.getByText('Too late to change this appointment online').waitFor();
  await alert.getByText('at least 48 hours before the start').waitFor();
  await check(pt, 'patient-late-cancel');
  const still = await app.request('GET', '/api/v1/appointments?limit=10', { token: patient.token });
  assert.deepEqual(
    still.body.items.map((a: { status: string; startsAt: string }) => [a.status, a.startsAt]),
    [['PENDING', SLOT]],
  );
  accepted = { patient, doctor };
  for (const t of [dt, pt]) await t.context.close();
});

test('waitlist: a declined offer goes to the next in line, whose offer disappears when its hold runs out', async () => {
  const { doctor, holderAppointment } = await fullyBookedDoctor('Declinova');
  const first = await createPatient(app, { body: { firstname: 'Dara', lastname: 'Decliner' } });
  const second = await createPatient(app, { body: { firstname: 'Evan', lastname: 'Expired' } });
  const ft = await pinnedTab();
  const st = await pinnedTab();
  const fp = ft.page;
  const sp = st.page;

  await signIn(fp, first.username);
  await landed(fp);
  await fp.goto(`/doctors/${doctor.id}`);
  await fp.getByRole('button', { name: 'Join the waitlist' }).click();
  await fp.getByText('You are on the waitlist.').waitFor();
  // Second in line, joined through the API; they watch their appointments page, which lists every waitlist.
  await joined(app, second, doctor.id);
  await signIn(sp, second.username);
  await landed(sp);
  await sp.getByRole('link', { name: 'Appointments', exact: true }).click();
  await sp.getByRole('list', { name: 'Waitlist entries' }).getByRole('heading', { name: 'Dr. Wanda Declinova' }).waitFor();

  assert.equal((await cancel(app, doctor, holderAppointment)).status, 200);
  const offer = fp.getByRole('group', { name: 'A time is free for you' });
  await offer.getByRole('timer').waitFor();
  await offer.getByRole('button', { name: 'Decline' }).click();
  await offer.waitFor({ state: 'detached' });
  await fp.getByRole('list', { name: 'Waitlist entries' }).getByText('Waiting', { exact: true }).waitFor();

  // The next in line gets it, live, on another page.
  const next = sp.getByRole('group', { name: 'A time is free for you' });
  await next.getByRole('timer').waitFor();
  await next.locator(`time[datetime="${SLOT}"]`).waitFor();
  await check(st, 'patient-appointments-waitlist-offer');

  // The hold runs out: the server expires it on its own, the page's clock passes expiresAt, the offer goes.
  pinNow(app, new Date(Date.parse(NOW) + HOLD_MS + 60_000).toISOString());
  for (;;) {
    const list = await app.request('GET', '/api/v1/waitlist', { token: second.token });
    if (list.body.items[0].status === 'WAITING') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await st.context.clock.fastForward(HOLD_MS + 60_000);
  await next.waitFor({ state: 'detached' });
  await sp.getByText('The time held for you ran out').waitFor();
  await sp.getByRole('list', { name: 'Waitlist entries' }).getByText('Waiting', { exact: true }).waitFor();
  const appointments = await app.request('GET', '/api/v1/appointments?limit=10', { token: second.token });
  assert.equal(appointments.body.items.length, 0, 'an expired offer books nothing');
  pinNow(app, NOW);
  for (const t of [ft, st]) await t.context.close();
});

test('calendar feed: the patient copies the link, rotates it (the old URL answers 404); the doctor has one too', async () => {
  assert.ok(accepted, 'the first test booked an appointment');
  const { patient, doctor } = accepted;
  const pt = await pinnedTab();
  await pt.context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const pp = pt.page;
  await signIn(pp, patient.username);
  await landed(pp);
  await pp.getByRole('link', { name: 'Account' }).click();
  const field = pp.getByLabel('Calendar feed URL');
  await pp.waitForFunction(() => (document.querySelector<HTMLInputElement>('#calendar-url')?.value ?? '') !== '');
  const oldUrl = await field.inputValue();
  assert.match(oldUrl, /\/api\/v1\/calendar\/[A-Za-z0-9_-]{43}\.ics$/);
  assert.deepEqual(await feedStarts(oldUrl), [SLOT]);

  await pp.getByRole('button', { name: 'Copy link' }).click();
  await pp.getByRole('status').filter({ hasText: 'Link copied.' }).waitFor({ state: 'attached' });
  assert.equal(await pp.evaluate(() => navigator.clipboard.readText()), oldUrl);
  await check(pt, 'patient-calendar-feed');

  // Rotating asks first; keeping the link changes nothing.
  await pp.getByRole('button', { name: 'Rotate link' }).click();
  await pp.getByRole('button', { name: 'Keep the current link' }).click();
  assert.equal(await field.inputValue(), oldUrl);
  await pp.getByRole('button', { name: 'Rotate link' }).click();
  await pp.getByText('The current link stops working at once').waitFor();
  await check(pt, 'patient-calendar-rotate');
  await pp.getByRole('button', { name: 'Yes, make a new link' }).click();
  await pp.getByText('New link made. The old link no longer works').waitFor();
  const newUrl = await field.inputValue();
  assert.notEqual(newUrl, oldUrl);
  assert.match(newUrl, /\/api\/v1\/calendar\/[A-Za-z0-9_-]{43}\.ics$/);
  assert.equal((await fetch(app.url + feedPath(oldUrl))).status, 404);
  assert.deepEqual(await feedStarts(newUrl), [SLOT]);

  // The doctor's account page has their own feed.
  const dt = await pinnedTab();
  await signIn(dt.page, doctor.username);
  await dt.page.getByRole('heading', { name: 'Agenda' }).waitFor();
  await dt.page.getByRole('link', { name: 'Account' }).click();
  await dt.page.waitForFunction(() => (document.querySelector<HTMLInputElement>('#calendar-url')?.value ?? '') !== '');
  const doctorUrl = await dt.page.getByLabel('Calendar feed URL').inputValue();
  assert.notEqual(doctorUrl, newUrl);
  assert.deepEqual(await feedStarts(doctorUrl), [SLOT]);
  await check(dt, 'doctor-calendar-feed');
  for (const t of [pt, dt]) await t.context.close();
});
