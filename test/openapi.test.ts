// The OpenAPI document is good enough to generate a typed client: valid OpenAPI 3.1, an operationId on
// every operation, shared objects as components, error codes as enums, documented headers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validate, compileErrors } from '@readme/openapi-parser';
import { build } from './helpers.ts';

test('/openapi.json is valid OpenAPI 3.1 with operationIds, shared components, typed errors and documented headers', async (t) => {
  const app = await build(t);
  const doc = (await app.request('GET', '/openapi.json')).body;

  const result = await validate(structuredClone(doc));
  assert.ok(result.valid, result.valid ? '' : compileErrors(result));
  assert.deepEqual(doc.servers, [{ url: '/' }]);

  const ids: string[] = [];
  for (const [path, ops] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(ops)) {
      assert.ok(op.operationId, `${method} ${path} has an operationId`);
      ids.push(op.operationId);
      for (const [status, response] of Object.entries<any>(op.responses)) {
        assert.notEqual(response.description, 'Default Response', `${method} ${path} ${status} has a real description`);
        assert.ok(response.headers?.['x-request-id'], `${method} ${path} ${status} documents x-request-id`);
        if (status === '429' || status === '503')
          assert.ok(response.headers['Retry-After'], `${method} ${path} ${status} documents Retry-After`);
      }
    }
  }
  assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');

  // Appointment is one component, referenced by every operation that returns one, never inlined.
  assert.ok(doc.components.schemas.Appointment);
  const inlined = JSON.stringify(doc.paths).match(/"cancellationReason"/g) ?? [];
  assert.equal(inlined.length, 0, 'no inline copy of Appointment in the paths');

  const book = doc.paths['/api/v1/appointments'].post;
  assert.equal(book.operationId, 'bookAppointment');
  assert.ok(
    book.parameters.some((p: any) => p.in === 'header' && p.name === 'idempotency-key'),
    'Idempotency-Key is documented',
  );
  assert.deepEqual(book.responses['201'].content['application/json'].schema, { $ref: '#/components/schemas/Appointment' });
  assert.deepEqual(book.responses['409'].content['application/problem+json'].schema, { $ref: '#/components/schemas/Problem409' });
  assert.deepEqual(doc.components.schemas.Problem409.properties.code.enum, [
    'USERNAME_TAKEN',
    'EMAIL_TAKEN',
    'SLOT_UNAVAILABLE',
    'INVALID_TRANSITION',
    'PRESCRIPTION_LIMIT_REACHED',
    'BOOKING_LIMIT_REACHED',
    'CANCELLATION_WINDOW_PASSED',
    'WAITLIST_OFFER_EXPIRED',
    'WAITLIST_LIMIT_REACHED',
    'VISIT_NOT_OPEN',
    'GUEST_LIMIT_REACHED',
    'INVITE_USED',
    'ALLERGY_CONFLICT',
    'NOTE_SIGNED',
    'QUOTA_EXCEEDED',
    'CONSENT_REQUIRED',
    'LOCATION_REQUIRED',
  ]);
});
