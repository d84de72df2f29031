// Journey: the patient's access log in plain words, 250 entries reached page by page ("Load more", keyset), the
// patient's own actions hidden by default.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appointmentFixture, createDoctor, createPatient } from '../helpers.ts';
import { check, journeyFixture, openTab, signIn } from './browser.ts';

const { state, setup, teardown } = journeyFixture('access-log journey');
before(setup);
after(teardown);

const READS = 250;

test('250 reads by the doctor are all reached with Load more, in plain words; own actions hidden by default', async () => {
  const { app, browser } = state;
  const doctor = await createDoctor(app, { credentials: 'VERIFIED', body: { firstname: 'Hanna', lastname: 'Hoffmann' } });
  const patient = await createPatient(app, { body: { firstname: 'Paula', lastname: 'Private' } });
  await appointmentFixture(app, { doctorId: doctor.id, patientId: patient.id, status: 'CONFIRMED' });
  for (let i = 0; i < READS; i++) {
    const res = await app.request('GET', `/api/v1/patients/${patient.id}`, { token: doctor.token });
    assert.equal(res.status, 200, res.text);
  }

  const tab = await openTab(browser, app.url);
  const { page } = tab;
  await signIn(page, patient.username);
  await page.getByRole('link', { name: 'Access log' }).click();
  await page.getByRole('heading', { name: 'Who accessed my record' }).waitFor();
  const list = page.getByRole('list', { name: 'Access log' });
  await list.getByText('Dr. Hanna Hoffmann read your record').first().waitFor();
  await check(tab, 'patient-access-log');
  while (!(await page.getByText(/^All \d+ entries shown/).count())) {
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.waitForFunction(() => !document.querySelector('main button[disabled]'));
  }
  assert.equal(await list.getByText('Dr. Hanna Hoffmann read your record').count(), READS);
  assert.equal(await list.getByText(/^.*You /).count(), 0, 'own actions hidden');
  assert.equal(await page.getByRole('button', { name: 'Load more' }).count(), 0);

  await page.getByLabel('Hide my own actions').uncheck();
  await page.getByText(/^All \d+ entries shown\.$/).waitFor();
});
