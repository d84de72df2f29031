// The one list of WebSocket frames (events.ts): publishers are checked against it at compile time (each
// expected error below fails `tsc` the day that wrong frame would compile), the documentation names
// only frames in it, and every frame a test client receives is checked against it (test/fixtures/ws.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from 'typebox/value';
import { build } from '../../../test/helpers.ts';
import type { Platform } from '../../platform/platform.ts';
import type { ClientConnection } from '../../platform/websocket.ts';
import { ClientFrameSchema, RealtimeEventSchema, ServerFrameSchema, serverFrameSchema } from './index.ts';

// Never called: type checking is the test.
export function compileTimeChecks(p: Platform, conn: ClientConnection, message: any) {
  // @ts-expect-error a misspelt type is not in the list
  void p.bus.publish(['u'], { type: 'message.craeted', message });
  // @ts-expect-error a field the frame does not have
  void p.bus.publish(['u'], { type: 'message.created', message, extra: 1 });
  // @ts-expect-error a frame without its fields
  void p.bus.publish(['u'], { type: 'waitlist.offer' });
  // @ts-expect-error a wrong field type
  conn.send({ type: 'visit.left', appointmentId: 42 });
  // @ts-expect-error a client frame type no module handles
  p.frames.handle('visit.jion', () => undefined);
  p.bus.onEvent((_users, e) => {
    // @ts-expect-error listeners see the list: no such type to compare with
    if (e.type === 'appointment.update') return;
    // Narrowing by type reaches the payload's fields.
    if (e.type === 'appointment.updated') void e.appointment.startsAt;
  });
}

test('the list: one schema per type, closed envelopes, and the hub frames among the server frames', () => {
  const types = ServerFrameSchema.anyOf.map((s) => (s.properties.type as { const: string }).const);
  assert.equal(new Set(types).size, types.length, 'no type listed twice');
  for (const t of ['ready', 'pong', 'appointment.updated', 'waitlist.offer', 'message.created', 'message.read'])
    assert.ok(types.includes(t), t);
  for (const s of RealtimeEventSchema.anyOf) assert.equal((s as { additionalProperties?: unknown }).additionalProperties, false);
  assert.equal(serverFrameSchema('nope'), undefined);
  assert.equal(Value.Check(serverFrameSchema('visit.left')!, { type: 'visit.left', appointmentId: crypto.randomUUID() }), true);
  assert.equal(Value.Check(serverFrameSchema('visit.left')!, { type: 'visit.left', appointmentId: crypto.randomUUID(), x: 1 }), false);
});

test('the OpenAPI document names only frames of the list, and GET /ws lists them all', async (t) => {
  const app = await build(t);
  const doc = (await app.request('GET', '/openapi.json')).body;
  const server = ServerFrameSchema.anyOf.map((s) => (s.properties.type as { const: string }).const);
  const client = ClientFrameSchema.anyOf.map((s) => (s.properties.type as { const: string }).const);
  const text = JSON.stringify(doc.paths);
  // `{"type":"…"}` examples and backticked visit frames in any operation's prose.
  const named = [...text.matchAll(/\\"type\\":\\"([a-z.-]+)\\"/g), ...text.matchAll(/`(visit\.[a-z-]+)[` ]/g)].map((m) => m[1]);
  assert.ok(named.length > 10, 'the document names frames');
  for (const n of named) assert.ok(server.includes(n) || client.includes(n), `${n} is named in the OpenAPI document but not in events.ts`);
  const ws = doc.paths['/api/v1/ws'].get.description as string;
  for (const n of [...server, ...client]) assert.ok(ws.includes(`\`${n}\``), `GET /ws describes ${n}`);
});

test('every frame is a component of the OpenAPI document (the portal generates its frame types from them)', async (t) => {
  const app = await build(t);
  const schemas = (await app.request('GET', '/openapi.json')).body.components.schemas;
  for (const [union, list] of [
    ['WsServerFrame', ServerFrameSchema],
    ['WsClientFrame', ClientFrameSchema],
  ] as const) {
    const mapping = schemas[union].discriminator.mapping as Record<string, string>;
    const types = list.anyOf.map((s) => (s.properties.type as { const: string }).const);
    assert.deepEqual(Object.keys(mapping), types, `${union} names every frame of the list`);
    assert.deepEqual(
      schemas[union].oneOf.map((r: { $ref: string }) => r.$ref),
      Object.values(mapping),
    );
    for (const [type, ref] of Object.entries(mapping)) {
      const frame = schemas[ref.replace('#/components/schemas/', '')];
      assert.equal(frame.properties.type.const, type, ref);
      // Payloads that are shared schemas are references, not copies.
      assert.doesNotMatch(JSON.stringify(frame), /"\$id"/, ref);
    }
  }
  assert.deepEqual(schemas.WsServerMessageCreated.properties.message, { $ref: '#/components/schemas/Message' });
  assert.deepEqual(schemas.WsServerNotificationCreated.properties.notification, { $ref: '#/components/schemas/Notification' });
});
