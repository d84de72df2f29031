// The public directory reads trigger-maintained copies of names and status (migration 0008) through
// indexes; these tests pin that it still answers exactly what the contract says as those sources change.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { build, createAdminUser, createDoctor, type Person, type TestApp } from '../../../test/helpers.ts';
import { API } from '../../../test/fixtures/booking.ts';
import { walk as walkPages } from '../../../test/fixtures/pages.ts';

let app: TestApp;
let herz: Person, nerv: Person;
const TWINS = 23;
before(async () => {
  app = await build();
  herz = await createDoctor(app, {
    body: { firstname: 'Anna', lastname: 'Herzog', specialization: 'Cardiology', bio: 'Echo, rhythm and Sports medicine' },
  });
  nerv = await createDoctor(app, { body: { firstname: 'Bert', lastname: 'Nervo', specialization: 'Neurology', bio: 'Migraine clinic' } });
  // Many doctors with one identical name: only the id keeps their order total, so paging must not lose or repeat one.
  await app.database.rows(sql`
    WITH u AS (
      INSERT INTO users (username, email, password_hash, firstname, lastname, role, email_verified_at)
      SELECT 'twin' || i, 'twin' || i || '@example.test', 'x', 'Tia', 'Twin', 'DOCTOR', now() FROM generate_series(1, ${TWINS}) i
      RETURNING id)
    INSERT INTO doctors (id, specialization, license_number, bio, timezone, verification_status)
    SELECT id, 'Dermatology', 'LIC-T', 'Skin checks', 'UTC', 'VERIFIED' FROM u`);
});
after(async () => {
  await app.close();
});

const list = async (query: string) => {
  const res = await app.request('GET', `${API}/doctors${query}`);
  assert.equal(res.status, 200, res.text);
  return res.body as { items: { id: string; firstname: string; lastname: string }[]; nextCursor: string | null };
};
const ids = async (query: string) => (await list(query)).items.map((d) => d.id);

const walk = (query: string, limit: number) => walkPages(app, `${API}/doctors?limit=${limit}${query}`, undefined, limit);

test('q finds doctors by a case-insensitive substring of first, last or full name, specialization or bio', async () => {
  for (const q of ['anna', 'ERZO', 'na herz', 'ardiolog', 'SPORTS MED', 'rhythm'])
    assert.deepEqual(await ids(`?q=${encodeURIComponent(q)}`), [herz.id], q);
  for (const q of ['nervo', 'Bert N', 'neuro', 'migraine CLINIC']) assert.deepEqual(await ids(`?q=${encodeURIComponent(q)}`), [nerv.id], q);
  assert.equal((await ids('?q=tia%20tw&limit=100')).length, TWINS);
  // A match never spans two fields: not across name and specialization, nor specialization and bio.
  for (const q of ['Herzog Cardiology', 'Neurology Migraine', 'gyMigraine'])
    assert.deepEqual(await ids(`?q=${encodeURIComponent(q)}`), [], q);
  // Search text is single-line (contract Conventions): a line break is a validation error, not a search.
  assert.equal((await app.request('GET', `/api/v1/doctors?q=${encodeURIComponent('Herzog\nCardiology')}`)).status, 400);
  assert.deepEqual(await ids('?q=ology&specialization=NEUROLOGY'), [nerv.id]);
});

test('pages are stable: every doctor exactly once, in last name, first name, id order, whatever the page size', async () => {
  const all = (await list('?limit=100')).items;
  assert.equal(all.length, TWINS + 2);
  const sorted = [...all].sort(
    (a, b) => a.lastname.localeCompare(b.lastname) || a.firstname.localeCompare(b.firstname) || (a.id < b.id ? -1 : 1),
  );
  assert.deepEqual(
    all.map((d) => d.id),
    sorted.map((d) => d.id),
  );
  for (const limit of [1, 4, 7])
    assert.deepEqual(
      await walk('', limit),
      all.map((d) => d.id),
      `limit ${limit}`,
    );
  const twins = all.filter((d) => d.lastname === 'Twin').map((d) => d.id);
  assert.deepEqual(await walk('&q=twin', 5), twins);
  assert.deepEqual(await walk('&specialization=dermatology', 6), twins);
});

test('a doctor added before the cursor does not shift the pages after it', async () => {
  const first = await list('?limit=3&q=twin');
  await createDoctor(app, { body: { firstname: 'Aaron', lastname: 'Twin', specialization: 'Dermatology' } });
  const rest = await walk(`&q=twin&cursor=${first.nextCursor}`, 100);
  const all = await ids('?q=twin&limit=100');
  assert.deepEqual([...first.items.map((d) => d.id), ...rest], all.slice(1));
});

test('the directory follows renames, suspension, verification and profile edits', async () => {
  await app.database.rows(sql`UPDATE users SET lastname = 'Herzberg' WHERE id = ${herz.id}`);
  assert.deepEqual(await ids('?q=herzberg'), [herz.id]);
  assert.deepEqual(await ids('?q=herzog'), []);

  const admin = await createAdminUser(app);
  const setStatus = async (accountStatus: string) => {
    const res = await app.request('PATCH', `${API}/admin/users/${nerv.id}`, { token: admin.token, body: { accountStatus } });
    assert.equal(res.status, 200, res.text);
  };
  await setStatus('SUSPENDED');
  assert.deepEqual(await ids('?q=nervo'), []);
  await setStatus('ACTIVE');
  assert.deepEqual(await ids('?q=nervo'), [nerv.id]);

  const res = await app.request('POST', `${API}/admin/doctors/${nerv.id}/verification`, {
    token: admin.token,
    body: { status: 'REJECTED', note: 'License expired' },
  });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(await ids('?q=nervo'), []);

  const patch = await app.request('PATCH', `${API}/doctors/me`, { token: herz.token, body: { bio: 'Heart failure clinic' } });
  assert.equal(patch.status, 200, patch.text);
  assert.deepEqual(await ids('?q=failure'), [herz.id]);
  assert.deepEqual(await ids('?q=rhythm'), []);
});
