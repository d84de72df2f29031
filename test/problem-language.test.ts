// Problem documents speak the reader's language (contract, "Languages and time zones"): `title` is negotiated
// from Accept-Language like an account's locale at registration; `code`, `status`, `type` and `errors[].path`
// stay as they are in every language.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, createPatient, expectProblem, patientBody, PASSWORD, type TestApp, type TestResponse } from './helpers.ts';
import { catalogues } from '../src/platform/i18n.ts';
import { ERROR_TITLE_KEYS, ERROR_TITLES } from '../src/platform/errors.ts';

const API = '/api/v1';

/** The same request in English (no header), German, Arabic and Spanish: each answer's language-free parts agree. */
async function inEveryLanguage(send: (headers: Record<string, string>) => Promise<TestResponse>, status: number, code: string) {
  const answers: Record<string, TestResponse> = {
    en: await send({}),
    de: await send({ 'accept-language': 'de-DE,de;q=0.9,en;q=0.5' }),
    ar: await send({ 'accept-language': 'ar-MA' }),
    es: await send({ 'accept-language': 'fr;q=1, es;q=0.8' }),
  };
  const key = ERROR_TITLE_KEYS[code as keyof typeof ERROR_TITLE_KEYS];
  for (const [locale, res] of Object.entries(answers)) {
    expectProblem(res, status, code);
    assert.equal(res.body.title, catalogues[locale as 'en'][key], `${code} in ${locale}`);
    assert.match(res.headers.get('vary') ?? '', /accept-language/i);
  }
  assert.equal(answers.en.body.title, ERROR_TITLES[code as keyof typeof ERROR_TITLES], 'English by default, as before');
  const invariant = (r: TestResponse) => ({
    status: r.body.status,
    code: r.body.code,
    type: r.body.type,
    paths: r.body.errors?.map((e: { path: string }) => e.path),
  });
  for (const locale of ['de', 'ar', 'es']) {
    assert.deepEqual(invariant(answers[locale]!), invariant(answers.en!));
    assert.notEqual(answers[locale]!.body.title, answers.en!.body.title, `${code} is translated into ${locale}`);
  }
  return answers;
}

test('problem titles follow Accept-Language for 400, 401, 404, 409 and 429; code, status, type and paths do not', async (t) => {
  const app: TestApp = await build(t);
  const patient = await createPatient(app);

  const invalid = await inEveryLanguage(
    (headers) => app.request('POST', `${API}/auth/register/patient`, { headers, body: { ...patientBody(), email: 'not an address' } }),
    400,
    'VALIDATION_FAILED',
  );
  assert.equal(invalid.ar!.body.title, 'الطلب لا يطابق المخطط');
  assert.deepEqual(
    invalid.de!.body.errors.map((e: { path: string }) => e.path),
    ['/email'],
  );

  const anonymous = await inEveryLanguage((headers) => app.request('GET', `${API}/me`, { headers }), 401, 'UNAUTHENTICATED');
  assert.equal(anonymous.de!.body.title, 'Anmeldung erforderlich');

  const missing = await inEveryLanguage(
    (headers) => app.request('GET', `${API}/prescriptions/00000000-0000-4000-8000-000000000000`, { headers, token: patient.token }),
    404,
    'NOT_FOUND',
  );
  assert.equal(missing.es!.body.title, 'No encontrado');

  const taken = await inEveryLanguage(
    (headers) => app.request('POST', `${API}/auth/register/patient`, { headers, body: patientBody({ username: patient.username }) }),
    409,
    'USERNAME_TAKEN',
  );
  assert.equal(taken.ar!.body.title, 'اسم المستخدم محجوز بالفعل');
});

test('a throttled login (429) is titled in the reader language too', async (t) => {
  const app = await build(t);
  const p = await createPatient(app);
  for (let i = 0; i < 5; i++) {
    const res = await app.request('POST', `${API}/auth/login`, { body: { login: p.username, password: 'wrong password' } });
    expectProblem(res, 401, 'INVALID_CREDENTIALS');
  }
  const answers = await inEveryLanguage(
    (headers) => app.request('POST', `${API}/auth/login`, { headers, body: { login: p.username, password: PASSWORD } }),
    429,
    'RATE_LIMITED',
  );
  assert.equal(answers.de!.body.title, 'Zu viele Anfragen');
  assert.ok(answers.ar!.headers.get('retry-after'), 'Retry-After kept');
});

test('an unknown, wildcard or malformed Accept-Language gets English titles', async (t) => {
  const app = await build(t);
  for (const header of ['fr-FR, it;q=0.8', '*', 'xx;q=abc,,;;', 'de;q=0', '']) {
    const res = await app.request('GET', `${API}/me`, { headers: { 'accept-language': header } });
    expectProblem(res, 401, 'UNAUTHENTICATED');
    assert.equal(res.body.title, 'Authentication required', `Accept-Language: ${JSON.stringify(header)}`);
  }
});
