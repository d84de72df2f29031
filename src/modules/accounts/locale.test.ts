// Languages and time zones (contract: "Languages and time zones"): the account's locale and zone at
// registration and through PATCH /me, and the unhappy paths that must write nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { build, createDoctor, createPatient, doctorBody, expectProblem, patientBody, type TestApp } from '../../../test/helpers.ts';
import { negotiateLocale } from '../../platform/i18n.ts';

const API = '/api/v1';
let app: TestApp;
before(async () => {
  app = await build();
});
after(async () => {
  await app.close();
});

const register = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  app.request('POST', `${API}/auth/register/patient`, { body, headers });

const usersNamed = async (username: string) =>
  (await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM users WHERE username = ${username}`))[0].n;

test('Accept-Language is weighed by its q-values and language-region fallbacks, English when nothing matches', () => {
  assert.equal(negotiateLocale(undefined), 'en');
  assert.equal(negotiateLocale(''), 'en');
  assert.equal(negotiateLocale('de-DE,de;q=0.9,en;q=0.8'), 'de');
  assert.equal(negotiateLocale('fr-FR,fr;q=0.9'), 'en');
  assert.equal(negotiateLocale('fr-FR,fr;q=0.9,es;q=0.2'), 'es');
  assert.equal(negotiateLocale('en;q=0.1, ar-EG;q=0.9'), 'ar');
  assert.equal(negotiateLocale('de;q=0, es-MX'), 'es');
  assert.equal(negotiateLocale('*'), 'en');
  assert.equal(negotiateLocale('not a header;;;q=x'), 'en');
});

test('registration defaults the locale from Accept-Language, the zone to UTC (a doctor: their working zone)', async () => {
  const de = await register(patientBody({ timeZone: undefined }), { 'accept-language': 'de-AT,de;q=0.9,en;q=0.5' });
  assert.equal(de.status, 201, de.text);
  assert.equal(de.body.user.locale, 'de');
  assert.equal(de.body.user.timeZone, 'UTC');

  const none = await register(patientBody());
  assert.equal(none.body.user.locale, 'en');

  const chosen = await register(patientBody({ locale: 'ar', timeZone: 'Asia/Riyadh' }), { 'accept-language': 'de' });
  assert.equal(chosen.status, 201, chosen.text);
  assert.equal(chosen.body.user.locale, 'ar');
  assert.equal(chosen.body.user.timeZone, 'Asia/Riyadh');

  const doctor = await app.request('POST', `${API}/auth/register/doctor`, {
    body: doctorBody({ timezone: 'America/Mexico_City' }),
    headers: { 'accept-language': 'es-MX,es;q=0.9' },
  });
  assert.equal(doctor.status, 201, doctor.text);
  assert.equal(doctor.body.user.locale, 'es');
  assert.equal(doctor.body.user.timeZone, 'America/Mexico_City');
});

test('registration with an unknown locale or zone is 400 with its path, and writes nothing', async () => {
  for (const [override, path] of [
    [{ locale: 'fr' }, '/locale'],
    [{ locale: 'EN' }, '/locale'],
    [{ timeZone: 'Mars/Olympus_Mons' }, '/timeZone'],
    [{ timeZone: 'Europe/Berlin; DROP' }, '/timeZone'],
    [{ timeZone: '' }, '/timeZone'],
  ] as const) {
    const body = patientBody(override);
    const res = await register(body);
    expectProblem(res, 400, 'VALIDATION_FAILED');
    assert.ok(
      res.body.errors.some((e: { path: string }) => e.path === path),
      `${JSON.stringify(override)} → ${res.text}`,
    );
    assert.equal(await usersNamed(body.username), 0);
  }
});

test('PATCH /me changes the language, zone and name; GET /me and the login answer show them', async () => {
  const p = await createPatient(app);
  const res = await app.request('PATCH', `${API}/me`, {
    token: p.token,
    body: { locale: 'es', timeZone: 'America/Bogota', firstname: 'Paz' },
  });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.user.locale, 'es');
  assert.equal(res.body.user.timeZone, 'America/Bogota');
  assert.equal(res.body.user.firstname, 'Paz');
  assert.equal(res.body.user.lastname, 'Ient');
  assert.equal(res.body.patient.id, p.id);
  const me = await app.request('GET', `${API}/me`, { token: p.token });
  assert.equal(me.body.user.locale, 'es');
  assert.equal(me.body.user.timeZone, 'America/Bogota');
  assert.equal(me.body.user.firstname, 'Paz');
  const [event] = await app.database.rows<{ patient_id: string }>(
    sql`SELECT patient_id FROM audit_events WHERE action = 'account.update' AND resource_id = ${p.id}`,
  );
  assert.equal(event.patient_id, p.id);

  const d = await createDoctor(app);
  const doc = await app.request('PATCH', `${API}/me`, { token: d.token, body: { locale: 'ar' } });
  assert.equal(doc.status, 200, doc.text);
  assert.equal(doc.body.user.locale, 'ar');
  assert.equal(doc.body.user.timeZone, 'Europe/Berlin');
  assert.equal(doc.body.doctor.id, d.id);
  // A doctor's new name reaches the directory (its trigger-kept name columns follow users).
  const renamed = await app.request('PATCH', `${API}/me`, { token: d.token, body: { lastname: 'Zweistein' } });
  assert.equal(renamed.body.user.lastname, 'Zweistein');
  const found = await app.request('GET', `${API}/doctors?q=zweistein`);
  assert.ok(
    found.body.items.some((x: { id: string }) => x.id === d.id),
    found.text,
  );
});

test('PATCH /me refuses an unknown locale or zone, an empty or unknown field (400) and anonymous callers (401), writing nothing', async () => {
  const p = await createPatient(app);
  for (const [body, path] of [
    [{ locale: 'xx' }, '/locale'],
    [{ locale: 'de', timeZone: 'Europe/Atlantis' }, '/timeZone'],
    [{ timeZone: 'Local' }, '/timeZone'],
    [{ firstname: '' }, '/firstname'],
    [{ role: 'ADMIN' }, null],
    [{}, null],
  ] as const) {
    const res = await app.request('PATCH', `${API}/me`, { token: p.token, body });
    expectProblem(res, 400, 'VALIDATION_FAILED');
    if (path)
      assert.ok(
        res.body.errors.some((e: { path: string }) => e.path === path),
        `${JSON.stringify(body)} → ${res.text}`,
      );
  }
  const me = await app.request('GET', `${API}/me`, { token: p.token });
  assert.equal(me.body.user.locale, 'en');
  assert.equal(me.body.user.timeZone, 'Europe/Berlin');
  assert.equal(me.body.user.role, 'PATIENT');
  expectProblem(await app.request('PATCH', `${API}/me`, { body: { locale: 'de' } }), 401, 'UNAUTHENTICATED');
});
