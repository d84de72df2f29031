import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, createPatient, createDoctor, expectProblem, mailbox, patientBody, tokenFromMail } from '../../../test/helpers.ts';

test('a patient registers, verifies the email from the mail and logs in', async (t) => {
  const app = await build(t);
  const body = patientBody();
  const reg = await app.request('POST', '/api/v1/auth/register/patient', { body });
  assert.equal(reg.status, 201);
  assert.equal(reg.body.user.isEmailVerified, false);
  assert.equal(reg.body.patient.age >= 40, true);
  assert.equal(JSON.stringify(reg.body).includes('password'), false);
  const mail = await mailbox.waitFor(body.email, /verif/i);
  const v = await app.request('POST', '/api/v1/auth/verify-email', { body: { token: tokenFromMail(mail, 'verify-email') } });
  assert.equal(v.status, 200);
  assert.equal(v.body.user.isEmailVerified, true);
  const again = await app.request('POST', '/api/v1/auth/verify-email', { body: { token: tokenFromMail(mail, 'verify-email') } });
  expectProblem(again, 401, 'INVALID_TOKEN');
});

test('helpers make verified patients and doctors', async (t) => {
  const app = await build(t);
  const p = await createPatient(app);
  const d = await createDoctor(app);
  const me = await app.request('GET', '/api/v1/me', { token: d.token });
  assert.equal(me.status, 200);
  assert.equal(me.body.doctor.verificationStatus, 'VERIFIED');
  const pm = await app.request('GET', '/api/v1/me', { token: p.token });
  assert.equal(pm.body.patient.medicalHistory, 'Penicillin allergy');
});
