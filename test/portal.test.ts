// The web portal as the server serves it (contract: "Web portal"): client-side routes answer index.html
// with a strict CSP, hashed assets are cached for good, no API path is ever shadowed; the portal's
// generated client is in step with the server's OpenAPI; the patient's first page stays small.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build, expectProblem } from './helpers.ts';
import { PORTAL_DIST } from '../src/platform/static.ts';
import { generate, OPENAPI_JSON, PAGES_TS, pagesModule, SCHEMA_TS } from '../scripts/openapi.ts';
import { PORTAL_PAGES, PORTAL_PREFIXES, portalPath, portalUrl } from '../src/platform/portal-pages.ts';
import { firstPageBytes, PATIENT_FIRST_PAGES } from '../scripts/bundle-size.ts';

const built = () =>
  assert.ok(existsSync(join(PORTAL_DIST, 'index.html')), 'web/dist is missing: npm ci (prepare) or npm run build:web builds it');

test('client-side routes, including the mail links, answer index.html with a strict CSP and no-cache', async (t) => {
  built();
  const app = await build(t);
  for (const path of [
    '/',
    '/verify-email?token=abc',
    '/reset-password?token=abc',
    '/signin',
    '/patient/appointments',
    '/doctor/agenda',
    '/admin/audit',
    '/doctors/5a1c7c2e-0000-4000-8000-000000000000',
  ]) {
    const res = await app.request('GET', path);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/, path);
    assert.match(res.text, /<div id="app"><\/div>/);
    assert.equal(res.headers.get('cache-control'), 'no-cache', path);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/, 'no unsafe-inline, no other origin');
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe|https?:/);
  }
  // index.html itself carries no inline script or style (the CSP would block them).
  const html = readFileSync(join(PORTAL_DIST, 'index.html'), 'utf8');
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/);
  assert.doesNotMatch(html, /<style|style="/);
});

test('hashed assets are served with a year-long immutable cache; unknown assets are a 404', async (t) => {
  built();
  const app = await build(t);
  const js = readdirSync(join(PORTAL_DIST, 'assets')).find((f) => /^index-.*\.js$/.test(f))!;
  const res = await app.request('GET', `/assets/${js}`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /javascript/);
  assert.match(res.headers.get('cache-control') ?? '', /max-age=31536000.*immutable|immutable.*max-age=31536000/);
  assert.equal((await app.request('GET', '/assets/nope-123.js')).status, 404);
});

test('text assets are sent precompressed: brotli or gzip as the browser accepts, the same bytes once decoded', async (t) => {
  built();
  const app = await build(t);
  const assets = readdirSync(join(PORTAL_DIST, 'assets'));
  const text = assets.filter((f) => /\.(js|css)$/.test(f));
  assert.ok(text.length > 0);
  for (const f of text) {
    const original = readFileSync(join(PORTAL_DIST, 'assets', f), 'utf8');
    for (const [accept, encoding] of [
      ['br, gzip', 'br'],
      ['gzip', 'gzip'],
      ['identity', null],
    ] as const) {
      // fetch decodes what it receives; the header says what crossed the wire.
      const res = await app.request('GET', `/assets/${f}`, { headers: { 'accept-encoding': accept } });
      assert.equal(res.status, 200, f);
      assert.equal(res.headers.get('content-encoding'), encoding, `${f} for ${accept}`);
      assert.equal(res.text, original, `${f} for ${accept}`);
      assert.match(res.headers.get('vary') ?? '', /accept-encoding/i);
    }
    assert.ok(statSync(join(PORTAL_DIST, 'assets', `${f}.br`)).size < Buffer.byteLength(original), `${f}.br is smaller`);
  }
});

test('the portal never shadows the API, its docs, health or FHIR paths', async (t) => {
  built();
  const app = await build(t);
  expectProblem(await app.request('GET', '/api/v1/no-such-thing'), 404, 'NOT_FOUND');
  expectProblem(await app.request('GET', '/nowhere'), 404, 'NOT_FOUND');
  const openapi = await app.request('GET', '/openapi.json');
  assert.equal(openapi.status, 200);
  assert.equal(openapi.body.openapi, '3.1.0');
  assert.match((await app.request('GET', '/health/live')).headers.get('content-type') ?? '', /json/);
  const docs = await app.request('GET', '/docs');
  assert.ok(docs.status < 400);
  assert.doesNotMatch(docs.text, /<div id="app"><\/div>/);
  for (const path of ['/fhir/R4/metadata', '/api/v1/doctors', '/metrics']) {
    assert.doesNotMatch((await app.request('GET', path)).headers.get('content-type') ?? '', /text\/html/, path);
  }
});

test('the committed OpenAPI document and the portal types generated from it match the code (npm run openapi)', async () => {
  const { json, types } = await generate();
  assert.equal(
    readFileSync(OPENAPI_JSON, 'utf8'),
    json,
    `${OPENAPI_JSON} is stale: run npm run openapi, then fix the portal's type errors`,
  );
  assert.equal(readFileSync(SCHEMA_TS, 'utf8'), types, `${SCHEMA_TS} is stale: run npm run openapi`);
});

test('one page table: the portal router is generated from it, the server serves every page of it, mail links are built from it', async (t) => {
  built();
  assert.equal(readFileSync(PAGES_TS, 'utf8'), await pagesModule(), `${PAGES_TS} is stale: run npm run openapi`);
  const app = await build(t);
  for (const [name, page] of Object.entries(PORTAL_PAGES)) {
    const path = page.path.replace(/:[A-Za-z]+/g, '5a1c7c2e-0000-4000-8000-000000000000');
    const res = await app.request('GET', path);
    assert.equal(res.status, 200, `${name} ${path}`);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/, name);
  }
  assert.deepEqual(PORTAL_PREFIXES, [
    '/',
    '/signin',
    '/signup',
    '/verify-email',
    '/forgot-password',
    '/reset-password',
    '/confirm-email',
    '/doctors',
    '/articles',
    '/account',
    '/notifications',
    '/appointments',
    '/waitlist',
    '/verify',
    '/visit',
    '/patient',
    '/doctor',
    '/admin',
  ]);
  assert.equal(portalPath('appointment', { id: 'a/b' }), '/appointments/a%2Fb');
  assert.equal(
    portalUrl('https://clinic.example/', 'verifyEmail', {}, { token: 'x-y_z' }),
    'https://clinic.example/verify-email?token=x-y_z',
  );
  assert.throws(() => portalPath('appointment'), /needs :id/);
});

test("a patient's first pages load at most 150 KB of compressed JavaScript", () => {
  built();
  for (const screen of PATIENT_FIRST_PAGES) {
    const { gzip } = firstPageBytes(screen);
    assert.ok(gzip <= 150 * 1024, `${screen}: ${gzip} bytes gzip`);
  }
});
