// A method a path is not served with is answered 405 with Allow before the body is read: a body the
// parser would refuse (malformed JSON, an unsupported type, too large) does not turn it into a 400/413/415.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, expectProblem } from './helpers.ts';

test('QUERY and other unknown methods on a known path: 405 with Allow before any body parsing', async (t) => {
  const app = await build(t, { bodyLimitBytes: 1024 });
  const cases: { method: string; path: string; allow: string; body?: string; type?: string }[] = [
    { method: 'QUERY', path: '/api/v1/doctors', allow: 'GET, HEAD', body: '{"q":', type: 'application/json' },
    { method: 'QUERY', path: '/api/v1/doctors', allow: 'GET, HEAD', body: '{"q":"cardio"}', type: 'application/json' },
    { method: 'PUT', path: '/api/v1/doctors', allow: 'GET, HEAD', body: 'not json', type: 'application/json' },
    { method: 'PUT', path: '/api/v1/auth/login', allow: 'POST', body: '<x/>', type: 'application/xml' },
    {
      method: 'DELETE',
      path: '/api/v1/auth/login',
      allow: 'POST',
      body: JSON.stringify({ pad: 'x'.repeat(4096) }),
      type: 'application/json',
    },
  ];
  for (const c of cases) {
    const res = await app.request(c.method, c.path, { rawBody: c.body, headers: c.type ? { 'content-type': c.type } : {} });
    expectProblem(res, 405, 'METHOD_NOT_ALLOWED');
    assert.equal(res.headers.get('allow'), c.allow, `${c.method} ${c.path}`);
  }
  // FHIR: the same, as an OperationOutcome.
  const fhir = await app.request('QUERY', '/fhir/R4/metadata', { rawBody: '{', headers: { 'content-type': 'application/json' } });
  assert.equal(fhir.status, 405, fhir.text);
  assert.equal(fhir.headers.get('allow'), 'GET, HEAD');
  assert.equal(fhir.body.resourceType, 'OperationOutcome');
  // A known method with a bad body stays 400.
  expectProblem(
    await app.request('POST', '/api/v1/auth/login', { rawBody: '{', headers: { 'content-type': 'application/json' } }),
    400,
    'VALIDATION_FAILED',
  );
});
