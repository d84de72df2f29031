// Server engine only (*.server.test.ts run with TEST_DATABASE_URL): two instances on one PostgreSQL database.
// A notification made on A reaches the recipient's socket on B, announced once; a digest due on both instances'
// passes goes out once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { build, connectWs } from '../../../test/helpers.ts';
import { care } from '../../../test/fixtures/care.ts';
import { pinClock } from '../../platform/clock.ts';
import { runDueDigests } from '../messages/digest.ts';

test('two instances: an entry made on A is announced once, on the recipient’s socket on B; a digest is queued once', async (t) => {
  const a = await build(t, { reminderPollMs: 3_600_000 });
  const b = await build(t, { jwtSecret: a.config.jwtSecret, reminderPollMs: 3_600_000 }, { databaseUrl: a.databaseUrl! });
  const c = await care(a);
  const onB = await connectWs(b, c.doctor.token);
  const sent = await a.request('POST', `/api/v1/conversations/${c.doctor.id}/messages`, {
    token: c.patient.token,
    body: { body: 'via A' },
  });
  assert.equal(sent.status, 201, sent.text);
  const frame = await onB.next((f) => f.type === 'notification.created' && f.notification.kind === 'message.received');
  assert.equal(frame.notification.person.id, c.patient.id);
  // Both instances' announcers ran (A was kicked by its own commit, B by the message frame): still one frame.
  await onB.next((f) => f.type === 'message.created');
  await a.app.platform.bus.publish([c.doctor.id], {
    type: 'message.read',
    readerId: c.doctor.id,
    senderId: c.patient.id,
    upTo: sent.body.id,
    readAt: new Date().toISOString(),
    count: 1,
  });
  await onB.next((f) => f.type === 'message.read');
  assert.equal(onB.frames.filter((f) => f.type === 'notification.created').length, 1);
  const [left] = await a.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM user_notifications WHERE announced_at IS NULL`);
  assert.equal(left.n, 0);

  // The digest falls due on both instances at once: SKIP LOCKED lets one of them queue it.
  const later = new Date(Date.now() + 16 * 60_000);
  pinClock(a.app.platform, later);
  pinClock(b.app.platform, later);
  const [x, y] = await Promise.all([runDueDigests(a.app.platform), runDueDigests(b.app.platform)]);
  assert.equal(x + y, 1);
  const [mails] = await a.database.rows<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM mail_outbox WHERE kind = 'message.digest' AND recipient = ${c.doctor.email}`,
  );
  assert.equal(mails.n, 1);
});
