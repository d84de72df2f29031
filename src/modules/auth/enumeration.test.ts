// Forgot-password and resend-verification must cost the same for a registered address as for an unknown
// one, or their timing tells which addresses have accounts. Held structurally: the request does the same
// work for both (it queues the request, the same one statement, and answers the same 202), and whatever
// depends on the account happens afterwards, off the request path. The time itself is measured by
// `npm run bench` (bench/enumeration.ts), not asserted here: a stopwatch bound is noise on a loaded machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { build, mailbox, sleep, unique, type TestApp } from '../../../test/helpers.ts';

const TRIES = 6;

/** Registered, unverified, active accounts, one per try, so that no cooldown makes later tries cheaper. */
async function accounts(app: TestApp, n: number): Promise<string[]> {
  const prefix = unique('en').slice(0, 20);
  const rows = await app.database.rows<{ email: string }>(sql`
    INSERT INTO users (username, email, password_hash, firstname, lastname, role)
    SELECT ${prefix} || i, ${prefix} || i || '@example.test', 'not-a-hash', 'Enu', 'Meration', 'PATIENT'
    FROM generate_series(1, ${n}) AS i RETURNING email`);
  await app.database.rows(
    sql`INSERT INTO patients (id, date_of_birth, gender) SELECT id, date '1980-01-01', 'other' FROM users WHERE username LIKE ${prefix + '%'}`,
  );
  return rows.map((r) => r.email);
}

/**
 * Counts, per request id, the rows written into every table while the test runs, through statement-level
 * triggers (test-only, on this test's own database): what a request changed, whichever process took its
 * queued work afterwards, is attributed to the transaction's statements, not guessed from timing.
 */
async function recordWrites(app: TestApp): Promise<void> {
  await app.database.rows(
    sql.raw(
      `CREATE TABLE test_writes (id bigserial PRIMARY KEY, tbl text NOT NULL, op text NOT NULL, txid bigint NOT NULL DEFAULT txid_current())`,
    ),
  );
  await app.database.rows(
    sql.raw(`CREATE FUNCTION test_log_write() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO test_writes (tbl, op) VALUES (TG_TABLE_NAME, TG_OP); RETURN NULL; END $$`),
  );
  await app.database.rows(
    sql.raw(`DO $$ DECLARE t text; BEGIN
      FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'test_writes' LOOP
        EXECUTE format('CREATE TRIGGER test_log_write AFTER INSERT OR UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION test_log_write()', t);
      END LOOP;
    END $$`),
  );
}

/** Waits until the off-request work of the earlier requests is done: every queued mail request handled and every mail sent. */
async function settled(app: TestApp): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const [row] = await app.database.rows<{ pending: number }>(sql`
      SELECT ((SELECT count(*) FROM auth_mail_requests) + (SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL))::int AS pending`);
    if (row.pending === 0) return;
    assert.ok(Date.now() < deadline, 'the mail requests and their mails are worked off');
    await sleep(5);
  }
}

/**
 * What one request wrote in its own transaction (the one that queued it), and what was written afterwards,
 * once its off-request work is done.
 */
async function requestWrites(app: TestApp, path: string, email: string) {
  await settled(app);
  const [{ before }] = await app.database.rows<{ before: number }>(sql`SELECT coalesce(max(id), 0)::int AS before FROM test_writes`);
  const res = await app.request('POST', path, { body: { email } });
  assert.equal(res.status, 202);
  await settled(app);
  const writes = await app.database.rows<{ tbl: string; op: string; request: boolean }>(sql`
    SELECT tbl, op, txid = (SELECT txid FROM test_writes WHERE id > ${before} AND tbl = 'auth_mail_requests' AND op = 'INSERT' ORDER BY id LIMIT 1) AS request
    FROM test_writes WHERE id > ${before} ORDER BY id`);
  return {
    answer: `${res.status} ${res.headers.get('content-type')} ${res.text}`,
    request: writes.filter((w) => w.request).map((w) => `${w.op} ${w.tbl}`),
    later: writes.filter((w) => !w.request),
  };
}

for (const [path, subject] of [
  ['/api/v1/auth/forgot-password', /reset/i],
  ['/api/v1/auth/resend-verification', /verif/i],
] as const) {
  test(`${path} does the same work on the request path for a registered and an unknown address`, async (t) => {
    const app = await build(t);
    const known = await accounts(app, TRIES);
    await recordWrites(app);
    for (let i = 0; i < TRIES; i++) {
      const k = await requestWrites(app, path, known[i]);
      const u = await requestWrites(app, path, `ghost${i}-${unique('g')}@example.test`);
      // One statement, the same for both: the request is queued, nothing else is written in its transaction.
      assert.deepEqual(k.request, ['INSERT auth_mail_requests']);
      assert.deepEqual(u.request, k.request);
      assert.equal(u.answer, k.answer);
      // The account's work (its token, its mail) happens afterwards, in the worker's own transactions.
      assert.ok(
        k.later.some((w) => w.tbl === 'mail_outbox' && w.op === 'INSERT'),
        'the registered address gets its mail, off the request path',
      );
      assert.equal(u.later.filter((w) => w.tbl === 'mail_outbox').length, 0);
    }
    // The work still happens, off the request path: the real accounts get their mail, the unknown ones none.
    await mailbox.waitFor(known[0], subject, 30_000);
    await mailbox.waitFor(known[TRIES - 1], subject, 30_000);
    assert.equal(mailbox.mails.filter((mail) => /^ghost/.test(mail.to)).length, 0);
  });
}
