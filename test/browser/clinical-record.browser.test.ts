// Journey: the clinical record through the portal. A doctor records a penicillin allergy (terminology
// autocomplete), tries to prescribe amoxicillin, sees the allergy conflict and overrides it with a reason;
// writes, saves and signs a visit note and adds an addendum; the patient sees the allergy, self-reports a
// medication (shown unconfirmed) and reads the signed note.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { appointmentFixture, createDoctor, createPatient } from '../helpers.ts';
import { check, journeyFixture, openTab, signIn } from './browser.ts';

const { state, setup, teardown } = journeyFixture('clinical record journey');
before(setup);
after(teardown);

test('allergy → conflicting prescription → override with a reason; SOAP note signed; the patient sees both', async () => {
  const { app, browser } = state;
  const doctor = await createDoctor(app, { credentials: 'VERIFIED', body: { firstname: 'Hanna', lastname: 'Hoffmann' } });
  const patient = await createPatient(app, { body: { firstname: 'Paula', lastname: 'Penicillin' } });
  const appointmentId = await appointmentFixture(app, { doctorId: doctor.id, patientId: patient.id, status: 'CONFIRMED' });

  // The doctor records the allergy on the patient's record, picking the substance the terminology suggests.
  const dt = await openTab(browser, app.url);
  const dp = dt.page;
  await signIn(dp, doctor.username);
  await dp.getByRole('heading', { name: 'Agenda' }).waitFor();
  await dp.goto(`/doctor/patients/${patient.id}`);
  await dp.getByRole('heading', { name: 'Allergies and intolerances' }).waitFor();
  const allergyForm = dp.getByRole('form', { name: 'Record an allergy' });
  await allergyForm.getByLabel('Substance').fill('penicillin G');
  await dp.locator('#f-allergy-substance-list option[value="penicillin G"]').waitFor({ state: 'attached' });
  await allergyForm.getByLabel('Reaction (optional)').fill('Hives');
  await check(dt, 'doctor-record-allergy');
  await allergyForm.getByRole('button', { name: 'Record allergy' }).click();
  const allergies = dp.getByRole('list', { name: 'Allergies' });
  await allergies.getByText('penicillin G', { exact: true }).waitFor();
  const [row] = await app.database.rows<{ code: string | null }>(
    sql`SELECT substance_code AS code FROM clinical_allergies WHERE patient_id = ${patient.id}`,
  );
  assert.equal(row.code, '7980', 'the pick kept its RxNorm code');

  // Amoxicillin: 409 ALLERGY_CONFLICT, shown with the allergy; overridden with a reason.
  const prescribe = dp.getByRole('region', { name: 'Write a prescription' });
  await prescribe.getByLabel('Medication', { exact: true }).fill('Amoxicillin');
  await prescribe.getByLabel('Dosage', { exact: true }).fill('500 mg');
  await prescribe.getByLabel('Frequency').fill('3 times daily');
  await prescribe.getByRole('button', { name: 'Issue prescription' }).click();
  const conflicts = dp.getByRole('group', { name: 'Allergy conflicts' });
  await conflicts.getByText(/conflicts with the active allergy to/).waitFor();
  await conflicts.getByText('penicillin G', { exact: true }).waitFor();
  await check(dt, 'doctor-allergy-conflict');
  await conflicts.getByRole('button', { name: 'Override…' }).click();
  await dp.getByLabel('Reason for overriding the allergy').fill('Tolerated amoxicillin in 2023 under supervision');
  await dp.getByRole('button', { name: 'Issue despite the allergy' }).click();
  await dp.getByRole('heading', { name: /^Issued/ }).waitFor();
  const [rx] = await app.database.rows<{ reason: string | null }>(
    sql`SELECT allergy_override_reason AS reason FROM prescriptions WHERE patient_id = ${patient.id}`,
  );
  assert.equal(rx.reason, 'Tolerated amoxicillin in 2023 under supervision');

  // The visit note on the appointment page: a draft saved, then signed, then an addendum.
  await dp.goto(`/appointments/${appointmentId}`);
  const note = dp.getByRole('form', { name: 'Visit note (SOAP)' });
  await note.getByLabel('Subjective').fill('Sore throat for three days');
  await note.getByLabel('Assessment').fill('Bacterial tonsillitis');
  await note.getByLabel('Plan').fill('Amoxicillin despite the penicillin allergy; review in a week');
  await note.getByRole('button', { name: 'Save draft' }).click();
  await dp.getByText('Draft saved').waitFor();
  await check(dt, 'doctor-visit-note-draft');
  await note.getByLabel('Objective').fill('Swollen tonsils');
  await note.getByRole('button', { name: 'Save and sign' }).click();
  await dp.getByText(/Note signed/).waitFor();
  await dp.getByRole('textbox', { name: 'Addendum' }).fill('Throat swab positive for streptococci');
  await dp.getByRole('button', { name: 'Add addendum' }).click();
  await dp.getByText('Throat swab positive for streptococci').waitFor();
  await check(dt, 'doctor-visit-note-signed');

  // The patient: their record with the allergy, a self-reported medication (unconfirmed), the signed note.
  const pt = await openTab(browser, app.url);
  const pp = pt.page;
  await signIn(pp, patient.username);
  await pp.getByRole('link', { name: 'My record' }).click();
  await pp.getByRole('heading', { name: 'My record' }).waitFor();
  await pp.getByRole('list', { name: 'Allergies' }).getByText('penicillin G', { exact: true }).waitFor();
  const notes = pp.getByRole('list', { name: 'Visit notes' });
  await notes.getByText('Sore throat for three days').waitFor();
  await notes.getByText('Throat swab positive for streptococci').waitFor();
  const report = pp.getByRole('form', { name: 'Report a medication' });
  await report.getByLabel('Medication').fill('Vitamin D');
  await report.getByLabel('Dosage (optional)').fill('1000 IU daily');
  await report.getByRole('button', { name: 'Report medication' }).click();
  const meds = pp.getByRole('list', { name: 'Medications' });
  await meds.getByText('Vitamin D', { exact: true }).waitFor();
  await meds.getByText('Unconfirmed (self-reported)').waitFor();
  // Nothing a clinician does is offered to the patient.
  assert.equal(await pp.getByRole('button', { name: /entered in error/ }).count(), 0);
  assert.equal(await pp.getByRole('form', { name: 'Record a problem' }).count(), 0);
  await check(pt, 'patient-record');
  // The appointment page shows the patient the signed note too.
  await pp.goto(`/appointments/${appointmentId}`);
  await pp.getByRole('heading', { name: 'Visit note' }).waitFor();
  await pp.getByText('Bacterial tonsillitis').waitFor();

  // Back at the doctor: the self-report is there, unconfirmed; the doctor confirms it, and marks the allergy
  // entered in error (it stays, marked).
  await dp.goto(`/doctor/patients/${patient.id}`);
  await dp.getByRole('list', { name: 'Medications' }).getByText('Unconfirmed (self-reported)').waitFor();
  await dp.getByRole('list', { name: 'Medications' }).getByRole('button', { name: 'Confirm' }).click();
  await dp.getByRole('list', { name: 'Medications' }).getByText('Unconfirmed (self-reported)').waitFor({ state: 'detached' });
  await dp.getByRole('button', { name: 'Mark penicillin G entered in error' }).click();
  await dp.getByRole('list', { name: 'Allergies' }).getByText('entered-in-error').first().waitFor();
  await check(dt, 'doctor-record-entered-in-error');
});
