import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import {
  build,
  createAdminUser,
  createDoctor,
  createPatient,
  expectProblem,
  mailbox,
  type Person,
  type TestApp,
} from '../../../test/helpers.ts';
import { API } from '../../../test/fixtures/booking.ts';

let app: TestApp;
let admin: Person;
before(async () => {
  app = await build();
  admin = await createAdminUser(app);
});
after(async () => {
  await app.close();
});

const verify = (doctorId: string, body: unknown, who: Person = admin) =>
  app.request('POST', `${API}/admin/doctors/${doctorId}/verification`, { token: who.token, body });

test('an admin lists doctors by verification status, with full profiles', async () => {
  const pending = await createDoctor(app, { credentials: 'PENDING' });
  const verified = await createDoctor(app);
  const res = await app.request('GET', `${API}/admin/doctors?verificationStatus=PENDING&limit=100`, { token: admin.token });
  assert.equal(res.status, 200);
  const ids = res.body.items.map((d: { id: string }) => d.id);
  assert.ok(ids.includes(pending.id) && !ids.includes(verified.id));
  assert.match(res.body.items[0].licenseNumber, /^LIC-/);
  const all = await app.request('GET', `${API}/admin/doctors?limit=100`, { token: admin.token });
  assert.ok(all.body.items.some((d: { id: string }) => d.id === verified.id));
  expectProblem(
    await app.request('GET', `${API}/admin/doctors?verificationStatus=MAYBE`, { token: admin.token }),
    400,
    'VALIDATION_FAILED',
  );
});

test('verifying a doctor makes them bookable and public; rejecting hides them again; both are audited and mailed', async () => {
  const d = await createDoctor(app, { credentials: 'PENDING' });
  expectProblem(await app.request('GET', `${API}/doctors/${d.id}`), 404, 'NOT_FOUND');
  const ok = await verify(d.id, { status: 'VERIFIED', note: 'Licence checked' });
  assert.equal(ok.status, 200);
  assert.equal(ok.body.verificationStatus, 'VERIFIED');
  assert.equal(ok.body.verificationNote, 'Licence checked');
  assert.equal((await app.request('GET', `${API}/doctors/${d.id}`)).status, 200);
  await mailbox.waitFor(d.email, /credentials were verified/);
  const no = await verify(d.id, { status: 'REJECTED', note: 'Licence expired' });
  assert.equal(no.body.verificationStatus, 'REJECTED');
  expectProblem(await app.request('GET', `${API}/doctors/${d.id}`), 404, 'NOT_FOUND');
  const mail = await mailbox.waitFor(d.email, /not accepted/);
  assert.match(mail.text, /Licence expired/);
  // The change applies to the doctor's very next request.
  expectProblem(
    await app.request('POST', `${API}/appointments/00000000-0000-4000-8000-000000000000/confirm`, { token: d.token }),
    403,
    'DOCTOR_NOT_VERIFIED',
  );
  const audits = await app.database.rows(
    sql`SELECT 1 FROM audit_events WHERE action = 'doctor.verification' AND resource_id = ${d.id} AND actor_id = ${admin.id}`,
  );
  assert.equal(audits.length, 2);
});

test('only admins may list or verify doctors (401 anonymous, 403 others)', async () => {
  const d = await createDoctor(app, { credentials: 'PENDING' });
  for (const who of [await createPatient(app), d]) {
    expectProblem(await app.request('GET', `${API}/admin/doctors`, { token: who.token }), 403, 'FORBIDDEN');
    expectProblem(await verify(d.id, { status: 'VERIFIED' }, who), 403, 'FORBIDDEN');
  }
  expectProblem(await app.request('GET', `${API}/admin/doctors`), 401, 'UNAUTHENTICATED');
  expectProblem(
    await app.request('POST', `${API}/admin/doctors/${d.id}/verification`, { body: { status: 'VERIFIED' } }),
    401,
    'UNAUTHENTICATED',
  );
});

test('verification of an unknown or non-doctor id is 404; bad bodies are 400', async () => {
  const p = await createPatient(app);
  expectProblem(await verify('00000000-0000-4000-8000-000000000000', { status: 'VERIFIED' }), 404, 'NOT_FOUND');
  expectProblem(await verify(p.id, { status: 'VERIFIED' }), 404, 'NOT_FOUND');
  expectProblem(await verify('nope', { status: 'VERIFIED' }), 400, 'VALIDATION_FAILED');
  const d = await createDoctor(app, { credentials: 'PENDING' });
  for (const body of [
    {},
    { status: 'PENDING' },
    { status: 'verified' },
    { status: 'VERIFIED', note: 'x'.repeat(2001) },
    { status: 'VERIFIED', by: 'me' },
  ]) {
    expectProblem(await verify(d.id, body), 400, 'VALIDATION_FAILED');
  }
  expectProblem(
    await app.request('POST', `${API}/admin/doctors/${d.id}/verification`, { token: admin.token, rawBody: 'status=VERIFIED' }),
    400,
    'VALIDATION_FAILED',
  );
  const [row] = await app.database.rows<{ verification_status: string }>(sql`SELECT verification_status FROM doctors WHERE id = ${d.id}`);
  assert.equal(row.verification_status, 'PENDING');
});
