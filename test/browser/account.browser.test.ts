// Journey (issue 25, point 7): a patient signs in and lands on their next appointment (its time shown with its
// zone), changes their email address and follows the mailed link, downloads their export, reads what closing
// keeps and for how long, closes the account, and cannot sign in again. axe-core on every page, 0 violations.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { appointmentFixture, createDoctor, createPatient, mailbox, PASSWORD } from '../helpers.ts';
import { mailsTo, outboxDrained } from '../fixtures/notifications.ts';
import { axeResults, check, journeyFixture, linkFromMail, openTab, signIn } from './browser.ts';

const { state, setup, teardown } = journeyFixture('account journey');
before(setup);
after(teardown);

test('a patient lands on their next appointment, changes their address, exports, closes the account and cannot sign in again', async () => {
  const { app, browser } = state;
  const doctor = await createDoctor(app, { credentials: 'VERIFIED', body: { firstname: 'Gregory', lastname: 'House' } });
  const patient = await createPatient(app, { body: { firstname: 'Rebecca', lastname: 'Adler' } });
  // Two open appointments; the nearer one is where the patient lands.
  const soon = new Date(Date.now() + 2 * 86_400_000);
  soon.setUTCHours(8, 30, 0, 0);
  const next = await appointmentFixture(app, { doctorId: doctor.id, patientId: patient.id, status: 'CONFIRMED', startsAt: soon });
  await appointmentFixture(app, {
    doctorId: doctor.id,
    patientId: patient.id,
    status: 'PENDING',
    startsAt: new Date(soon.getTime() + 7 * 86_400_000),
  });

  const tab = await openTab(browser, app.url);
  const { page } = tab;
  await signIn(page, patient.username);
  await page.waitForURL((u) => u.pathname === `/appointments/${next}`);
  await page.getByRole('heading', { name: 'Appointment', exact: true }).waitFor();
  // Its time is shown with the account's zone.
  const zone = (await app.request('GET', '/api/v1/me', { token: patient.token })).body.user.timeZone as string;
  await page.getByText(`(${zone})`).first().waitFor();
  await check(tab, 'account-landing');

  // A new address: the link goes to it, the old one is told.
  const newEmail = `rebecca.${Date.now()}@new.example.test`;
  await page.getByRole('link', { name: 'Account', exact: true }).click();
  await page.getByRole('heading', { name: 'Email address' }).waitFor();
  await page.getByLabel('New email address').fill(newEmail);
  await page.getByRole('region', { name: 'Email address' }).getByLabel('Current password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Change email address' }).click();
  await page.getByText(`We sent a link to ${newEmail}`).waitFor();
  await check(tab, 'account-email-sent');
  const link = await mailbox.waitFor(newEmail, /^Confirm your new email address/);
  const notice = await mailbox.waitFor(patient.email, /^Your email address is about to change/);
  assert.ok(!notice.text.includes(newEmail), 'the old address is not told the new one in full');
  await page.goto(linkFromMail(link.text, 'confirm-email'));
  await page.getByText(`Your email address is now ${newEmail}`).waitFor();
  await check(tab, 'confirm-email');
  await page.getByRole('link', { name: 'Account', exact: true }).last().click();
  await page.getByText(`Your current address: ${newEmail}`).waitFor();

  // The export, as a file.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download my data (JSON)' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^telecare-export-\d{4}-\d{2}-\d{2}\.json$/);
  const exported = JSON.parse(await readFile((await download.path())!, 'utf8'));
  assert.equal(JSON.stringify(exported).includes(newEmail), true, 'the export carries the account as it now is');
  const [fhir] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download my data (FHIR)' }).click()]);
  assert.equal(JSON.parse(await readFile((await fhir.path())!, 'utf8')).resourceType, 'Bundle');

  // Closing: what happens and what is kept, stated before the patient confirms.
  const closing = page.getByRole('region', { name: 'Close the account' });
  await closing.getByText('Your 2 open appointments are cancelled').waitFor();
  await closing.getByText(/kept for 10 years after closing, until/).waitFor();
  await closing.getByText(/the law where your practice works decides it/).waitFor();
  await check(tab, 'account-close');
  await closing.getByLabel('Current password').fill(PASSWORD);
  // The box that says it was read is required: without it nothing is sent.
  await closing.getByRole('button', { name: 'Close my account' }).click();
  assert.equal(await closing.getByRole('checkbox').evaluate((el) => (el as HTMLInputElement).validity.valueMissing), true);
  await closing.getByRole('checkbox').check();
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/v1/me/close')),
    closing.getByRole('button', { name: 'Close my account' }).click(),
  ]);
  assert.equal(answer.status(), 200);
  await page.waitForURL((u) => u.pathname === '/signin');
  await page.getByText('Your account is closed.').waitFor();
  await check(tab, 'signin-closed');

  // Both appointments are cancelled and both parties told.
  await outboxDrained(app);
  assert.equal(mailsTo(newEmail, /^Appointment cancelled/).length, 2);
  assert.equal(mailsTo(doctor.email, /^Appointment cancelled/).length, 2);

  await signIn(page, newEmail);
  await page.getByRole('alert').getByText('This account was closed').waitFor();
  assert.equal(new URL(page.url()).pathname, '/signin');
  await check(tab, 'signin-closed-refused');
  await tab.context.close();

  const mine = axeResults.filter((r) => /^(account|confirm-email|signin-closed)/.test(r.page));
  assert.deepEqual(
    mine.filter((r) => r.violations),
    [],
    'axe: no violation of any impact on the self-service pages',
  );
});
