// Item 10 of issue 11: forgot-password and resend-verification must cost the same for a registered
// address as for an unknown one, or their timing tells which addresses have accounts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import { build, mailbox, sleep, unique, type TestApp } from '../../../test/helpers.ts';

const TRIES = 60;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

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
 * Waits until the off-request work of the earlier requests is done: every queued mail request handled and
 * every mail it queued delivered. That work runs on this process's event loop (the app and the test mailbox
 * live here) and is only done for registered addresses; left running, it slowed whichever request came
 * next, more often an unknown address's (under a loaded machine, by 10 ms in one run: a false alarm).
 */
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

async function timed(app: TestApp, path: string, email: string): Promise<number> {
  await settled(app);
  const t0 = performance.now();
  const res = await app.request('POST', path, { body: { email } });
  const ms = performance.now() - t0;
  assert.equal(res.status, 202);
  return ms;
}

/**
 * Interleaved pairs (the order inside each pair drawn at random), so that load on the machine hits both
 * sides alike; the median of the paired differences ignores the odd stall. A path that does more work
 * for a real account shows a difference of several milliseconds; the bound leaves room for noise only.
 */
async function measure(app: TestApp, path: string, known: string[]) {
  // Warm up both paths (first-use compilation, plan caches) before measuring.
  for (let i = 0; i < 3; i++) await timed(app, path, `warmup${i}-${unique('w')}@example.test`);
  const diffs: number[] = [];
  const knownMs: number[] = [];
  const unknownMs: number[] = [];
  for (let i = 0; i < TRIES; i++) {
    const ghost = `ghost${i}-${unique('g')}@example.test`;
    let k: number;
    let u: number;
    if (Math.random() < 0.5) {
      k = await timed(app, path, known[i]);
      u = await timed(app, path, ghost);
    } else {
      u = await timed(app, path, ghost);
      k = await timed(app, path, known[i]);
    }
    diffs.push(k - u);
    knownMs.push(k);
    unknownMs.push(u);
  }
  return { diff: median(diffs), known: median(knownMs), unknown: median(unknownMs) };
}

for (const [path, subject] of [
  ['/api/v1/auth/forgot-password', /reset/i],
  ['/api/v1/auth/resend-verification', /verif/i],
] as const) {
  test(`${path} costs the same for a registered and an unknown address (median of ${TRIES} interleaved pairs)`, async (t) => {
    const app = await build(t);
    const known = await accounts(app, TRIES);
    const m = await measure(app, path, known);
    t.diagnostic(
      `median known ${m.known.toFixed(2)} ms, unknown ${m.unknown.toFixed(2)} ms, median paired difference ${m.diff.toFixed(2)} ms`,
    );
    // Before the fix the difference was as large as the unknown path itself (161–188 ms against 169–174 ms
    // on a loaded machine); after it, noise only. The bound scales with the machine's speed.
    const bound = Math.max(1.5, 0.3 * m.unknown);
    assert.ok(
      Math.abs(m.diff) <= bound,
      `registered addresses answer ${m.diff.toFixed(2)} ms slower (median), bound ${bound.toFixed(2)} ms`,
    );
    // The work still happens, off the request path: the real accounts get their mail, the unknown ones none.
    await mailbox.waitFor(known[0], subject, 30_000);
    await mailbox.waitFor(known[TRIES - 1], subject, 30_000);
    assert.equal(mailbox.mails.filter((mail) => /^ghost/.test(mail.to)).length, 0);
  });
}
