// Checkpoints anchor the chain outside the database: someone holding the database (here the owner,
// triggers off) rewrites an event and re-chains everything after it, so the chain is consistent with
// itself and verify alone says "intact"; verify against the signed checkpoints fails at the first
// checkpoint after the rewrite, naming the interval. A checkpoint line altered or signed with another key
// is refused.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import {
  CheckpointFileError,
  generateKeyFiles,
  loadPrivateKey,
  loadPublicKey,
  readCheckpoints,
  writeCheckpoint,
} from '../../platform/audit-checkpoint.ts';
import type { Database } from '../../platform/db/index.ts';
import { build, createPatient } from '../../../test/helpers.ts';
import { chained } from '../../../test/fixtures/audit.ts';
import { verifyChain } from './chain.ts';

function tempDir(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'telecare-checkpoints-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * What the owner of the database can do: with the triggers off, change an event, reseal it and re-chain
 * every link from it on with the database's own functions, and move the head to the new last hash.
 */
async function rewriteAndRechain(db: Database, position: number) {
  await db.db.transaction(async (tx) => {
    await tx.execute(sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update`);
    await tx.execute(sql`ALTER TABLE audit_chain DISABLE TRIGGER audit_chain_no_update`);
    await tx.execute(sql`
      UPDATE audit_events e SET actor_role = 'ADMIN', outcome = 'DENIED'
      FROM audit_chain c WHERE c.event_id = e.id AND c.chain_seq = ${position}`);
    await tx.execute(sql`
      UPDATE audit_events e SET content_hash = audit_content_hash(e)
      FROM audit_chain c WHERE c.event_id = e.id AND c.chain_seq = ${position}`);
    await tx.execute(
      sql.raw(`
      DO $$
      DECLARE
        prev text := (SELECT prev_hash FROM audit_chain WHERE chain_seq = ${position});
        r record;
      BEGIN
        FOR r IN SELECT c.chain_seq, e.content_hash FROM audit_chain c JOIN audit_events e ON e.id = c.event_id
                 WHERE c.chain_seq >= ${position} ORDER BY c.chain_seq LOOP
          prev := audit_link_hash(prev, r.chain_seq, r.content_hash);
          UPDATE audit_chain SET prev_hash = (SELECT hash FROM audit_chain WHERE chain_seq = r.chain_seq - 1), hash = prev
            WHERE chain_seq = r.chain_seq;
        END LOOP;
        UPDATE audit_chain_head SET hash = prev;
      END $$`),
    );
    await tx.execute(sql`ALTER TABLE audit_chain ENABLE TRIGGER audit_chain_no_update`);
    await tx.execute(sql`ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update`);
  });
}

test('a rewrite re-chained by the owner passes verify alone and fails verify against the checkpoints, at the first one after it', async (t) => {
  const dir = tempDir(t);
  const keyFile = join(dir, 'audit.key');
  generateKeyFiles(keyFile);
  const key = loadPrivateKey(keyFile);
  const pub = loadPublicKey(`${keyFile}.pub`);
  const file = join(dir, 'checkpoints.jsonl');

  const app = await build(t, { auditSequencer: false });
  const marks: number[] = [];
  for (let i = 0; i < 3; i++) {
    await createPatient(app);
    await chained(app);
    marks.push((await writeCheckpoint(app.database, file, key)).seq);
  }
  const checkpoints = readCheckpoints(file, pub);
  assert.deepEqual(
    checkpoints.map((c) => [c.seq, c.line]),
    marks.map((m, i) => [m, i + 1]),
  );
  const intact = await verifyChain(app.database, { checkpoints });
  assert.equal(intact.ok, true, JSON.stringify(intact.broken));
  assert.equal(intact.checkpoints, 3);

  // An event inside the second interval (after checkpoint 1, up to checkpoint 2) is rewritten and re-chained.
  const victim = marks[0] + 2;
  assert.ok(victim <= marks[1]);
  await rewriteAndRechain(app.database, victim);
  const alone = await verifyChain(app.database);
  assert.equal(alone.ok, true, 'consistent with itself: without checkpoints the rewrite is invisible');
  const anchored = await verifyChain(app.database, { checkpoints });
  assert.equal(anchored.ok, false);
  assert.equal(anchored.broken!.position, String(marks[1]));
  assert.match(
    anchored.broken!.reason,
    new RegExp(
      `differs from the checkpoint \\(line 2\\) of [0-9T:.Z-]+ at position ${marks[1]}: events between positions ${marks[0]} and ${marks[1]} were rewritten`,
    ),
  );
  assert.equal(anchored.checkpoints, 1, 'the first checkpoint still matched');
});

test('checkpoint lines altered or signed with another key are refused', async (t) => {
  const dir = tempDir(t);
  const keyFile = join(dir, 'audit.key');
  generateKeyFiles(keyFile);
  const otherFile = join(dir, 'other.key');
  generateKeyFiles(otherFile);
  const file = join(dir, 'checkpoints.jsonl');
  const app = await build(t, { auditSequencer: false });
  await createPatient(app);
  await chained(app);
  await writeCheckpoint(app.database, file, loadPrivateKey(keyFile));
  await writeCheckpoint(app.database, file, loadPrivateKey(keyFile));
  const pub = loadPublicKey(`${keyFile}.pub`);
  assert.equal(readCheckpoints(file, pub).length, 2);
  // The private key verifies as well as the public one.
  assert.equal(readCheckpoints(file, loadPublicKey(keyFile)).length, 2);

  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  const forged = JSON.parse(lines[1]!);
  forged.hash = 'f'.repeat(64);
  writeFileSync(file, `${lines[0]}\n${JSON.stringify(forged)}\n`);
  assert.throws(
    () => readCheckpoints(file, pub),
    (e: unknown) => e instanceof CheckpointFileError && /line 2: the signature does not match/.test(e.message),
  );

  writeFileSync(file, `${lines[0]}\n`);
  await writeCheckpoint(app.database, file, loadPrivateKey(otherFile));
  assert.throws(
    () => readCheckpoints(file, pub),
    (e: unknown) => e instanceof CheckpointFileError && /line 2: signed with another key/.test(e.message),
  );
  writeFileSync(file, `${lines[0]}\nnot json\n`);
  assert.throws(() => readCheckpoints(file, pub), /line 2: not a checkpoint/);
  // An existing key file is never overwritten.
  assert.throws(() => generateKeyFiles(keyFile), /EEXIST/);
});
