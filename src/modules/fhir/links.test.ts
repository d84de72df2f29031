// FHIR links (Bundle.link, entry.fullUrl, the export's fullUrls) start at PUBLIC_URL: a request's Host
// header never decides where the server's links point.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { appointmentFixture, build, createDoctor, createPatient, type TestApp } from '../../../test/helpers.ts';

/** A GET with a Host header of the caller's choosing (fetch does not let one set it). */
function getWithHost(app: TestApp, path: string, host: string, token: string): Promise<{ status: number; body: any }> {
  const url = new URL(app.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path, headers: { host, authorization: `Bearer ${token}`, 'x-forwarded-host': host } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('search Bundles, $everything and the FHIR export link to PUBLIC_URL whatever the Host header says', async (t) => {
  const app = await build(t);
  const doctor = await createDoctor(app);
  const patient = await createPatient(app);
  for (const day of ['2027-01-10', '2027-01-11']) {
    await appointmentFixture(app, {
      doctorId: doctor.id,
      patientId: patient.id,
      status: 'CONFIRMED',
      startsAt: new Date(`${day}T09:00:00.000Z`),
    });
  }
  const evil = 'attacker.example';
  const urls: string[] = [];
  const search = await getWithHost(app, `/fhir/R4/Appointment?patient=${patient.id}&_count=1`, evil, patient.token);
  assert.equal(search.status, 200, JSON.stringify(search.body));
  urls.push(...search.body.link.map((l: any) => l.url), ...search.body.entry.map((e: any) => e.fullUrl));
  const all = await getWithHost(app, `/fhir/R4/Patient/${patient.id}/$everything?_count=1`, evil, patient.token);
  assert.equal(all.status, 200, JSON.stringify(all.body));
  urls.push(...all.body.link.map((l: any) => l.url), ...all.body.entry.map((e: any) => e.fullUrl));
  const exported = await getWithHost(app, '/api/v1/me/export?format=fhir', evil, patient.token);
  assert.equal(exported.status, 200);
  urls.push(...exported.body.entry.map((e: any) => e.fullUrl));
  assert.ok(urls.length >= 6, urls.join('\n'));
  for (const u of urls) assert.ok(u.startsWith('http://telecare.test/fhir/R4/'), u);
});
