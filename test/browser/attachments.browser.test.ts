// Journey: a patient sends a photo taken with GPS metadata, the doctor opens it, the bytes the doctor's browser
// got carry no GPS, and the patient's access log shows the doctor's view.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { appointmentFixture, createDoctor, createPatient } from '../helpers.ts';
import { jpegWithGps } from '../fixtures/attachments.ts';
import { check, journeyFixture, openTab, signIn } from './browser.ts';

const { state, setup, teardown } = journeyFixture('attachments journey');
before(setup);
after(teardown);

test('a photo with GPS is sent, the doctor opens it without GPS, and the access log shows the view', async () => {
  const { app, browser } = state;
  const doctor = await createDoctor(app, { credentials: 'VERIFIED', body: { firstname: 'Greta', lastname: 'Grau' } });
  const patient = await createPatient(app, { body: { firstname: 'Pavel', lastname: 'Photo' } });
  await appointmentFixture(app, { doctorId: doctor.id, patientId: patient.id, status: 'CONFIRMED' });
  const dir = mkdtempSync(join(tmpdir(), 'attach-journey-'));
  const photo = join(dir, 'IMG_0001.jpg');
  const original = await jpegWithGps();
  writeFileSync(photo, original);
  assert.ok((await sharp(original).metadata()).exif, 'the photo carries EXIF with GPS');

  try {
    const patientTab = await openTab(browser, app.url);
    const pp = patientTab.page;
    await signIn(pp, patient.username);
    await pp.getByRole('link', { name: 'Messages' }).first().waitFor();
    await pp.goto(`/patient/messages/${doctor.id}`);
    await pp.getByLabel('Attach photo or PDF').setInputFiles(photo);
    const toSend = pp.getByRole('list', { name: 'Files to send' });
    await toSend.getByText('ready').waitFor();
    await pp.getByLabel('Your message').fill('The rash, day 3');
    await pp.getByRole('button', { name: 'Send' }).click();
    await pp.getByRole('list', { name: 'Messages' }).getByRole('img', { name: 'IMG_0001.jpg' }).waitFor();
    await check(patientTab, 'patient-message-attachment');

    const doctorTab = await openTab(browser, app.url);
    const dp = doctorTab.page;
    await signIn(dp, doctor.username);
    await dp.getByRole('link', { name: 'Messages' }).first().waitFor();
    const fetched = dp.waitForResponse((r) => /\/api\/v1\/attachments\/[0-9a-f-]{36}$/.test(r.url()) && r.status() === 200);
    await dp.goto(`/doctor/messages/${patient.id}`);
    const img = dp.getByRole('list', { name: 'Messages' }).getByRole('img', { name: 'IMG_0001.jpg' });
    await img.waitFor();
    await check(doctorTab, 'doctor-message-attachment');
    // The bytes the doctor's browser was served: the same download, made again with the doctor's token.
    const url = (await fetched).url();
    const bytes = Buffer.from(await (await fetch(url, { headers: { authorization: `Bearer ${doctor.token}` } })).arrayBuffer());
    const meta = await sharp(bytes).metadata();
    assert.equal(meta.format, 'jpeg');
    assert.equal(meta.exif, undefined);
    assert.ok(!bytes.includes(Buffer.from('Exif')) && !bytes.includes(Buffer.from('GPS-Phone')));

    await pp.goto('/patient/access-log');
    await pp.getByText('Dr. Greta Grau opened an attachment').first().waitFor();
    await check(patientTab, 'patient-access-log-attachment');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
