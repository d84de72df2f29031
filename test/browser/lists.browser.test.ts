// Journey: every long list reaches its end. 250 rows are seeded for each of the patient's prescriptions, a message
// thread, the doctor's patients, the admin's users and the audit trail; the portal follows the API's keyset cursor
// ("Load more", "Load earlier messages") until the last row is on screen, and no row is shown twice.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { appointmentFixture, createAdminUser, createDoctor, createPatient, unique, type Person } from '../helpers.ts';
import { item } from '../fixtures/prescriptions.ts';
import { check, journeyFixture, openTab, signIn } from './browser.ts';

const { state, setup, teardown } = journeyFixture('lists journey');
after(teardown);

const ROWS = 250;
const HOUR = 3_600_000;

let doctor: Person, patient: Person, admin: Person, prefix: string;
before(async () => {
  await setup();
  const { app } = state;
  doctor = await createDoctor(app, { body: { firstname: 'Lena', lastname: 'Lang' } });
  patient = await createPatient(app, { body: { firstname: 'Pia', lastname: 'Page' } });
  admin = await createAdminUser(app);

  // 250 prescriptions: 25 completed visits of 10 each (the most one visit may carry).
  for (let v = 0; v < ROWS / 10; v++) {
    const appointmentId = await appointmentFixture(app, {
      doctorId: doctor.id,
      patientId: patient.id,
      status: 'COMPLETED',
      startsAt: new Date(Date.now() - (v + 2) * HOUR),
    });
    for (let i = 0; i < 10; i++) {
      const res = await app.request('POST', '/api/v1/prescriptions', {
        token: doctor.token,
        body: { appointmentId, items: [item({ medication: `Medicine ${v * 10 + i + 1}` })] },
      });
      assert.equal(res.status, 201, res.text);
    }
  }
  // 250 messages in one thread.
  for (let i = 1; i <= ROWS; i++) {
    const res = await app.request('POST', `/api/v1/conversations/${patient.id}/messages`, {
      token: doctor.token,
      body: { body: `Note ${i}` },
    });
    assert.equal(res.status, 201, res.text);
  }
  // 250 more patients in the doctor's care (accounts written straight to the tables: registering each over HTTP
  // would hash 250 passwords and test nothing this journey is about).
  prefix = unique('lst');
  await app.database.rows(sql`
    WITH u AS (
      INSERT INTO users (username, email, password_hash, firstname, lastname, role, email_verified_at)
      SELECT ${prefix} || '_' || n, ${prefix} || '_' || n || '@example.test', 'x', 'Listed', 'Patient ' || n, 'PATIENT', now()
      FROM generate_series(1, ${ROWS}) AS n
      RETURNING id, created_at
    ), p AS (
      INSERT INTO patients (id, date_of_birth, gender) SELECT id, '1980-01-01', 'unknown' FROM u RETURNING id
    )
    INSERT INTO appointments (patient_id, doctor_id, starts_at, ends_at, status)
    SELECT id, ${doctor.id}, now() - (row_number() OVER (ORDER BY id)) * interval '1 day' - interval '1 hour',
           now() - (row_number() OVER (ORDER BY id)) * interval '1 day' - interval '30 minutes', 'COMPLETED'
    FROM p`);
});

/** Follows the button until the list says it is complete. */
async function toTheEnd(page: Page, button: string, done: RegExp) {
  while (!(await page.getByText(done).count())) {
    await page.getByRole('button', { name: button }).click();
    await page.waitForFunction(() => !document.querySelector('main button[disabled]'));
  }
  assert.equal(await page.getByRole('button', { name: button }).count(), 0);
}

test('the patient reaches the first of 250 prescriptions and the first of 250 messages', async () => {
  const tab = await openTab(state.browser, state.app.url);
  const { page } = tab;
  await signIn(page, patient.username);
  await page.getByRole('link', { name: 'Prescriptions' }).first().click();
  const list = page.getByRole('list', { name: 'Prescriptions' });
  await list.getByText('Medicine 250', { exact: true }).waitFor();
  await check(tab, 'patient-prescriptions-paged');
  await toTheEnd(page, 'Load more', /^All 250 entries shown\.$/);
  assert.equal(await list.locator(':scope > li').count(), ROWS);
  await list.getByText('Medicine 1', { exact: true }).waitFor();

  await page.goto(`/patient/messages/${doctor.id}`);
  const thread = page.getByRole('list', { name: 'Messages' });
  await thread.getByText('Note 250', { exact: true }).waitFor();
  while (await page.getByRole('button', { name: 'Load earlier messages' }).count()) {
    await page.getByRole('button', { name: 'Load earlier messages' }).click();
    await page.waitForFunction(() => !document.querySelector('main button[disabled]'));
  }
  await thread.getByText('Note 1', { exact: true }).waitFor();
  assert.equal(await thread.locator(':scope > li').count(), ROWS);
  await check(tab, 'patient-thread-paged');
  await tab.context.close();
});

test('the doctor reaches the last of 251 patients in their care', async () => {
  const tab = await openTab(state.browser, state.app.url);
  const { page } = tab;
  await signIn(page, doctor.username);
  await page.getByRole('heading', { name: 'Agenda' }).waitFor();
  await page.goto('/doctor/patients');
  await page.getByRole('heading', { name: 'Patients in your care' }).waitFor();
  await page
    .getByRole('link', { name: /^Listed Patient/ })
    .first()
    .waitFor();
  await toTheEnd(page, 'Load more', /^All 251 entries shown\.$/);
  assert.equal(await page.getByRole('link', { name: /^Listed Patient \d+$/ }).count(), ROWS);
  await page.getByRole('link', { name: 'Pia Page' }).waitFor();
  await check(tab, 'doctor-patients-paged');
  await tab.context.close();
});

test('the admin reaches the last of 250 users and of 250 audit events', async () => {
  const tab = await openTab(state.browser, state.app.url);
  const { page } = tab;
  await signIn(page, admin.username);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await page.goto(`/admin/users?q=${prefix}`);
  const users = page.getByRole('table', { name: 'Users' });
  await users.locator('tbody tr').first().waitFor();
  await toTheEnd(page, 'Load more', /^All 250 entries shown\.$/);
  assert.equal(await users.locator('tbody tr').count(), ROWS);

  await page.goto(`/admin/audit?action=prescription.create&actorId=${doctor.id}`);
  const events = page.getByRole('table', { name: 'Audit events' });
  await events.locator('tbody tr').first().waitFor();
  await toTheEnd(page, 'Load more', /^All 250 entries shown\.$/);
  assert.equal(await events.locator('tbody tr').count(), ROWS);
  await check(tab, 'admin-audit-paged');
  await tab.context.close();
});
