// Allergy-aware prescribing: 409 ALLERGY_CONFLICT with the conflicts, an override with a reason that is
// audited and printed, and no allergy slipping in between the check and the insert.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { PDFParse } from 'pdf-parse';
import { build, expectProblem, ENGINE, type TestApp } from '../../../test/helpers.ts';
import { care, type Care } from '../../../test/fixtures/care.ts';
import { RX, auditEvents, item } from '../../../test/fixtures/prescriptions.ts';
import { lockAllergySet, allergies } from './repo.ts';

const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

async function allergy(app: TestApp, c: Care, substance: Record<string, string>, extra: Record<string, unknown> = {}) {
  const res = await app.request('POST', `/api/v1/patients/${c.patient.id}/allergies`, {
    token: c.doctor.token,
    body: { substance, category: 'medication', criticality: 'high', ...extra },
  });
  assert.equal(res.status, 201, res.text);
  return res.body as { id: string };
}

const prescribe = (app: TestApp, c: Care, body: Record<string, unknown>) =>
  app.request('POST', RX, { token: c.doctor.token, body: { appointmentId: c.appointmentId, ...body } });

test('a penicillin allergy stops amoxicillin with 409 ALLERGY_CONFLICT naming the item, the allergy and the match', async (t) => {
  const app = await build(t);
  const c = await care(app);
  const pen = await allergy(app, c, { display: 'Penicillin' });
  const ibu = await allergy(app, c, { system: RXNORM, code: '5640', display: 'Ibuprofen' });
  const res = await prescribe(app, c, {
    items: [
      item({ medication: 'Paracetamol 500 mg' }),
      item({ medication: 'Amoxicillin' }),
      item({ medication: 'Advil', medicationCode: { system: RXNORM, code: '5640', display: 'ibuprofen' } }),
    ],
  });
  expectProblem(res, 409, 'ALLERGY_CONFLICT');
  assert.deepEqual(res.body.conflicts, [
    { itemIndex: 1, allergyId: pen.id, substance: { display: 'Penicillin' }, match: 'class', class: 'Penicillin-class Antibacterial' },
    { itemIndex: 2, allergyId: ibu.id, substance: { system: RXNORM, code: '5640', display: 'ibuprofen' }, match: 'substance' },
  ]);
  const [{ n }] = await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM prescriptions`);
  assert.equal(n, 0);
});

test('inactive and entered-in-error allergies do not block; unrelated drugs pass', async (t) => {
  const app = await build(t);
  const c = await care(app);
  await allergy(app, c, { display: 'Penicillin' }, { status: 'inactive' });
  const eie = await allergy(app, c, { system: RXNORM, code: '723', display: 'amoxicillin' });
  const mark = await app.request('PATCH', `/api/v1/patients/${c.patient.id}/allergies/${eie.id}`, {
    token: c.doctor.token,
    body: { status: 'entered-in-error' },
  });
  assert.equal(mark.status, 200);
  await allergy(app, c, { system: RXNORM, code: '1191', display: 'aspirin' });
  const res = await prescribe(app, c, { items: [item({ medication: 'Amoxicillin' }), item({ medication: 'Azithromycin 250 mg' })] });
  assert.equal(res.status, 201, res.text);
  assert.equal(res.body.allergyOverrideReason, null);
});

test('overrideReason issues it: the override is audited and printed on the PDF; a bad reason is 400', async (t) => {
  const app = await build(t);
  const c = await care(app);
  await allergy(app, c, { display: 'Penicillin' });
  for (const overrideReason of ['', 'x'.repeat(501), 'two\nlines']) {
    expectProblem(await prescribe(app, c, { items: [item()], overrideReason }), 400, 'VALIDATION_FAILED');
  }
  const reason = 'Tolerated amoxicillin in 2023 under supervision';
  const res = await prescribe(app, c, { items: [item()], overrideReason: reason });
  assert.equal(res.status, 201, res.text);
  assert.equal(res.body.allergyOverrideReason, reason);
  const events = await auditEvents(app, 'prescription.allergy_override', res.body.id);
  assert.equal(events.length, 1);
  assert.equal(events[0].patient_id, c.patient.id);
  const pdf = await fetch(`${app.url}${RX}/${res.body.id}/pdf`, { headers: { authorization: `Bearer ${c.patient.token}` } });
  assert.equal(pdf.status, 200);
  const parser = new PDFParse({ data: new Uint8Array(await pdf.arrayBuffer()) });
  try {
    const text = (await parser.getText()).text.replace(/\s+/g, ' ');
    assert.ok(text.includes('Allergy override'), text);
    assert.ok(text.includes(reason), text);
  } finally {
    await parser.destroy();
  }
});

test('race: an allergy recorded while a prescription is being checked is seen by the check (409), never slips between check and insert', async (t) => {
  const app = await build(t);
  const c = await care(app);
  let locked!: () => void;
  const hasLock = new Promise<void>((r) => (locked = r));
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  // A concurrent allergy write: holds the patient's allergy-set lock with its row inserted, uncommitted.
  const writer = app.database.db.transaction(async (tx) => {
    await lockAllergySet(tx, c.patient.id);
    await tx.insert(allergies).values({
      patientId: c.patient.id,
      substanceSystem: RXNORM,
      substanceCode: '7980',
      substanceDisplay: 'penicillin G',
      category: 'medication',
      criticality: 'high',
      status: 'active',
      verification: 'confirmed',
      recordedBy: c.doctor.id,
      updatedBy: c.doctor.id,
    });
    locked();
    await gate;
  });
  await hasLock;
  const pending = prescribe(app, c, { items: [item()] });
  if (ENGINE === 'postgres') {
    // Wait until the prescribing transaction is queued on the lock, so it has not read the allergies yet.
    for (;;) {
      const [{ n }] = await app.database.rows<{ n: number }>(
        sql`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      if (n > 0) break;
      await new Promise((r) => setImmediate(r));
    }
  }
  // (On the embedded engine one connection runs one transaction at a time: the request waits for this one.)
  release();
  await writer;
  const res = await pending;
  expectProblem(res, 409, 'ALLERGY_CONFLICT');
  assert.equal(res.body.conflicts[0].match, 'class');
});
