// Journey: the notification bell and list (issue 25, point 5). A doctor's badge rises live when a patient books
// and writes, the list words each entry and links to its page, opening one marks it read; an admin's menu
// shows how many doctors await verification.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAdminUser, createPatient, doctorBody } from '../helpers.ts';
import { API, book, pinNow, workingDoctor } from '../fixtures/booking.ts';
import { axeResults, check, journeyFixture, openTab, signIn } from './browser.ts';

const { state, setup, teardown } = journeyFixture('notifications journey');
before(setup);
after(teardown);

test('a doctor’s bell counts a booking and a message live; the list links to them and opening one reads it', async () => {
  const { app, browser } = state;
  pinNow(app, '2027-01-04T07:00:00.000Z');
  const doctor = await workingDoctor(app, { body: { firstname: 'Hanna', lastname: 'Hoffmann' } });
  const patient = await createPatient(app, { body: { firstname: 'Paula', lastname: 'Private' } });
  // Start from nothing unread (the verification of the doctor's credentials is an entry too).
  assert.equal((await app.request('POST', `${API}/me/notifications/read-all`, { token: doctor.token })).status, 204);

  const tab = await openTab(browser, app.url);
  const { page } = tab;
  await signIn(page, doctor.username);
  const bell = page.getByRole('link', { name: /^Notifications, / });
  await page.getByRole('link', { name: 'Notifications, none unread' }).waitFor();

  const booked = await book(app, patient, doctor.id, '2027-01-05T09:00:00.000Z', { reason: 'Chest pain since Tuesday' });
  assert.equal(booked.status, 201, booked.text);
  await page.getByRole('link', { name: 'Notifications, 1 unread' }).waitFor();
  const sent = await app.request('POST', `${API}/conversations/${doctor.id}/messages`, {
    token: patient.token,
    body: { body: 'A private question' },
  });
  assert.equal(sent.status, 201, sent.text);
  await page.getByRole('link', { name: 'Notifications, 2 unread' }).waitFor();
  await check(tab, 'doctor-notification-bell');

  await bell.click();
  await page.getByRole('heading', { name: 'Notifications' }).waitFor();
  const list = page.getByRole('list', { name: 'Notifications' });
  await list.getByRole('link', { name: 'New appointment with Paula Private' }).waitFor();
  await list.getByRole('link', { name: '1 new message from Paula Private' }).waitFor();
  assert.equal(await list.getByText(/Chest pain|private question/).count(), 0, 'no medical content');
  await check(tab, 'doctor-notifications');

  // Live on the list too: a second message bumps the conversation's entry.
  await app.request('POST', `${API}/conversations/${doctor.id}/messages`, { token: patient.token, body: { body: 'Another one' } });
  await list.getByRole('link', { name: '2 new messages from Paula Private' }).waitFor();

  // Opening the appointment's entry leads to its page and reads it.
  await list.getByRole('link', { name: 'New appointment with Paula Private' }).click();
  await page.waitForURL(`**/appointments/${booked.body.id}`);
  await page.getByRole('link', { name: 'Notifications, 1 unread' }).waitFor();
  await bell.click();
  await list.getByRole('link', { name: '2 new messages from Paula Private' }).waitFor();
  await page.getByRole('button', { name: 'Mark all as read' }).click();
  await page.getByRole('link', { name: 'Notifications, none unread' }).waitFor();
  await page.getByText('All notifications are shown.').waitFor();
  await tab.context.close();
});

test('an admin’s menu shows the doctors awaiting verification, and their list names the registration', async () => {
  const { app, browser } = state;
  const admin = await createAdminUser(app);
  const body = doctorBody({ firstname: 'Greta', lastname: 'Neu' });
  const reg = await app.request('POST', `${API}/auth/register/doctor`, { body });
  assert.equal(reg.status, 201, reg.text);

  const tab = await openTab(browser, app.url);
  const { page } = tab;
  await signIn(page, admin.username);
  const doctors = page.getByRole('link', { name: /^Doctors/ });
  await doctors.filter({ hasText: '1 doctor awaits verification' }).waitFor();
  await page.getByRole('link', { name: 'Notifications, 1 unread' }).click();
  await page
    .getByRole('list', { name: 'Notifications' })
    .getByRole('link', { name: 'Greta Neu registered as a doctor and awaits verification' })
    .waitFor();
  await check(tab, 'admin-notifications');
  await tab.context.close();

  const mine = axeResults.filter((r) => /notification/.test(r.page));
  assert.deepEqual(
    mine.map((r) => [r.page, r.violations]),
    [
      ['doctor-notification-bell', 0],
      ['doctor-notifications', 0],
      ['admin-notifications', 0],
    ],
  );
});
