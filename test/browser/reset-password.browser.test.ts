// Journey: a forgotten password reset through the mailed link, through the UI only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPatient, mailbox, PASSWORD } from '../helpers.ts';
import { check, journeyFixture, linkFromMail, openTab, signIn } from './browser.ts';

const { state, setup, teardown } = journeyFixture('reset-password journey');
before(setup);
after(teardown);

test('a forgotten password is reset through the mailed link', async () => {
  const person = await createPatient(state.app);
  const tab = await openTab(state.browser, state.app.url);
  const { page } = tab;
  await page.goto('/signin');
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  // Wait for the page itself: the sign-in form's "Username or email" also matches a loose 'Email' label,
  // and under load the fill landed there before the route changed, leaving the reset form's field empty
  // (its `required` then stopped the submit, and the confirmation never came).
  await page.getByRole('heading', { name: 'Forgot your password?' }).waitFor();
  await page.getByLabel('Email', { exact: true }).fill(person.email);
  await check(tab, 'forgot-password');
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/forgot-password') && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Send reset link' }).click(),
  ]);
  assert.equal(answer.status(), 202, `POST /auth/forgot-password answered ${answer.status()}`);
  await page.getByText('we sent it a link').waitFor();
  const mail = await mailbox.waitFor(person.email, /reset/i, 60_000);
  await page.goto(linkFromMail(mail.text, 'reset-password'));
  await page.getByLabel('New password').fill('short');
  await page.getByRole('button', { name: 'Set new password' }).click();
  // The API's field error is shown beside the field.
  await page.locator('#f-password-err').waitFor();
  await check(tab, 'reset-password');
  await page.getByLabel('New password').fill('a brand new passphrase');
  await page.getByRole('button', { name: 'Set new password' }).click();
  await page.getByText('Your password was changed').waitFor();
  await signIn(page, person.username, PASSWORD);
  await page.getByRole('alert').first().waitFor();
  await check(tab, 'signin-error');
  await signIn(page, person.username, 'a brand new passphrase');
  await page.getByRole('heading', { name: 'Appointments', exact: true }).waitFor();
  await tab.context.close();
});
