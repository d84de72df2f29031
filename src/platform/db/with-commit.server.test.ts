// runWithCommit on the server engine: the statements it defers leave with the COMMIT, in order, and
// belong to the transaction (rolled back with it); inside a savepoint it runs at once, with the savepoint.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { createScratchDatabase } from './scratch.ts';
import { openDatabase, prepared, run, runWithCommit, type Database } from './index.ts';

const INSERT = prepared('with_commit_test_insert', 'INSERT INTO with_commit_test (n) VALUES ($1)');
let database: Database;
let drop: () => Promise<void>;

before(async () => {
  const scratch = await createScratchDatabase(process.env.TEST_DATABASE_URL!, `wc_${process.pid}`);
  drop = scratch.drop;
  database = await openDatabase({ databaseUrl: scratch.url, pgliteDir: '' });
  await database.rows(sql`CREATE TABLE with_commit_test (id serial PRIMARY KEY, n int NOT NULL CHECK (n >= 0))`);
});

after(async () => {
  await database.close();
  await drop();
});

const rows = async () => (await database.rows<{ n: number }>(sql`SELECT n FROM with_commit_test ORDER BY id`)).map((r) => r.n);
const reset = () => database.rows(sql`TRUNCATE with_commit_test RESTART IDENTITY`);

test('deferred statements run after the work, in the order given, and commit with it', async () => {
  await reset();
  await database.db.transaction(async (tx) => {
    await runWithCommit(tx, INSERT, [1]);
    await runWithCommit(tx, INSERT, [2]);
    await run(tx, INSERT, [0]);
    // Not yet sent: the transaction sees only the statement that ran.
    const seen = await tx.execute(sql`SELECT count(*)::int AS c FROM with_commit_test`);
    assert.equal((seen as unknown as { rows: { c: number }[] }).rows[0].c, 1);
  });
  assert.deepEqual(await rows(), [0, 1, 2]);
});

test('a deferred statement that fails rolls the whole transaction back and its error is thrown', async () => {
  await reset();
  await assert.rejects(
    database.db.transaction(async (tx) => {
      await run(tx, INSERT, [5]);
      await runWithCommit(tx, INSERT, [6]);
      await runWithCommit(tx, INSERT, [-1]); // violates the CHECK
    }),
    (err: Error & { code?: string }) => err.code === '23514',
  );
  assert.deepEqual(await rows(), []);
  // The pool's client came back usable: the next transaction commits normally.
  await database.db.transaction(async (tx) => runWithCommit(tx, INSERT, [7]));
  assert.deepEqual(await rows(), [7]);
});

test('work that throws sends none of its deferred statements', async () => {
  await reset();
  await assert.rejects(
    database.db.transaction(async (tx) => {
      await runWithCommit(tx, INSERT, [8]);
      throw new Error('changed its mind');
    }),
    /changed its mind/,
  );
  assert.deepEqual(await rows(), []);
});

test('inside a savepoint it runs at once and rolls back with the savepoint', async () => {
  await reset();
  await database.db.transaction(async (tx) => {
    await runWithCommit(tx, INSERT, [1]);
    await assert.rejects(
      tx.transaction(async (sp) => {
        await runWithCommit(sp, INSERT, [2]);
        throw new Error('savepoint rolled back');
      }),
      /savepoint rolled back/,
    );
    await tx.transaction(async (sp) => runWithCommit(sp, INSERT, [3]));
  });
  assert.deepEqual(await rows(), [3, 1]);
});

test('outside a transaction it runs at once', async () => {
  await reset();
  await runWithCommit(database.db, INSERT, [4]);
  assert.deepEqual(await rows(), [4]);
});
