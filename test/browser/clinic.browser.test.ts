// Journey: an admin gives the clinic its name and colour; the portal shows them; a pharmacist, signed out,
// opens a prescription's verification page and sees it valid. Through the UI, axe on every screen.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAdminUser, createDoctor, createPatient } from '../helpers.ts';
import { care } from '../fixtures/care.ts';
import { issue, item } from '../fixtures/prescriptions.ts';
import { check, journeyFixture, openTab, signIn } from './browser.ts';

const { state, setup, teardown } = journeyFixture('clinic journey');
before(setup);
after(teardown);

test('admin sets the clinic name and colour; the portal shows them; a prescription verifies as valid', async () => {
  const { app, browser } = state;
  const admin = await createAdminUser(app);
  const adminTab = await openTab(browser, app.url);
  const ap = adminTab.page;
  await signIn(ap, admin.username);
  await ap.getByRole('link', { name: 'Clinic' }).click();
  await ap.getByRole('heading', { name: 'Clinic', level: 1 }).waitFor();
  await ap.getByLabel('Clinic name').fill('Praxis am Hafen');
  await ap.getByLabel('Address (one line each, at most 5)').fill('Hafenstraße 7\n20457 Hamburg');

  // A colour too light for white text is explained before saving, and refused by the server.
  const header = ap.getByRole('group', { name: 'Header colour' });
  await header.getByRole('checkbox').check();
  await ap.getByLabel('Header colour: colour').fill('#ffcc00');
  await header.getByText(/too light: WCAG AA needs at least 4\.5:1/).waitFor();
  await ap.getByRole('button', { name: 'Save' }).click();
  await ap
    .getByText(/contrast of 1\.\d\d:1/)
    .first()
    .waitFor();
  assert.equal((await app.request('GET', '/api/v1/clinic')).body.name, 'Telecare', 'nothing was written');

  await ap.getByLabel('Header colour: colour').fill('#1f4e79');
  await header.getByText('meets WCAG AA (4.5:1)').waitFor();
  await check(adminTab, 'admin-clinic');
  await ap.getByRole('button', { name: 'Save' }).click();
  await ap.getByText("The clinic's settings are saved.").waitFor();

  // The shell follows at once: the name in the header and the title, the colour as the header's background.
  await ap.getByRole('link', { name: 'Praxis am Hafen' }).waitFor();
  assert.match(await ap.title(), /· Praxis am Hafen$/);
  const background = await ap.locator('header.top').evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.equal(background, 'rgb(31, 78, 121)');
  await check(adminTab, 'admin-clinic-branded');

  // A fresh visitor's portal is branded from the public settings.
  const visitor = await openTab(browser, app.url);
  await visitor.page.goto('/');
  await visitor.page.getByRole('link', { name: 'Praxis am Hafen' }).waitFor();

  // A pharmacist, signed out, checks a prescription's code from the printed address.
  const doctor = await createDoctor(app, { body: { firstname: 'Greta', lastname: 'Hoffmann' } });
  const patient = await createPatient(app, { body: { firstname: 'Ada', lastname: 'Lovelace', dateOfBirth: '1990-12-10' } });
  const rx = await issue(app, await care(app, 'CONFIRMED', { doctor, patient }), {
    items: [item({ strength: '500 mg', dosage: '1 capsule' })],
  });
  const vp = visitor.page;
  await vp.goto(`/verify/prescription?code=${rx.verificationCode}`);
  await vp.getByRole('heading', { name: 'Verify a prescription' }).waitFor();
  await vp.getByRole('heading', { name: 'Valid prescription' }).waitFor();
  await vp.getByText('Dr. Greta Hoffmann').waitFor();
  await vp.getByText('A. L., born 1990').waitFor();
  await vp.getByText('Amoxicillin — 500 mg').waitFor();
  assert.equal(await vp.getByText('Lovelace').count(), 0);
  await check(visitor, 'verify-prescription');

  // A mistyped code says so.
  await vp.getByLabel('Verification code').fill('0000-0000-0000-0000');
  await vp.getByRole('button', { name: 'Check' }).click();
  await vp.getByText('No prescription has this code.').waitFor();
});
