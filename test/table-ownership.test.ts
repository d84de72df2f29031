// One owner per table (docs/architecture.md, "Table owners"; the map is TABLE_OWNERS in eslint.config.js):
// only the owner's statements write or lock a table, the owner's Drizzle model describes every column of
// it, and the map, the database and the architecture document agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql } from 'drizzle-orm';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import { freshDatabase } from './helpers.ts';
import { modelDefinitions, sourceFiles, sqlUses, tableUses } from './fixtures/table-writes.ts';

const ROOT = resolve(import.meta.dirname, '..');
// The map sits beside LAYERS in the lint configuration (plain JavaScript, no type declarations).
const CONFIG = pathToFileURL(resolve(ROOT, 'eslint.config.js')).href;
const OWNERS = ((await import(CONFIG)) as { TABLE_OWNERS: Record<string, string> }).TABLE_OWNERS;
const files = sourceFiles(resolve(ROOT, 'src'));
const models = modelDefinitions(files, ROOT);

/** Whether the source file (relative to the repository) belongs to `owner`: a module folder or a platform file or folder. */
function ownedBy(file: string, owner: string): boolean {
  const base = owner.startsWith('platform/') ? `src/${owner}` : `src/modules/${owner}`;
  const dir = resolve(ROOT, base);
  if (existsSync(dir) && statSync(dir).isDirectory()) return file.startsWith(`${base}/`);
  return file === `${base}.ts`;
}

test('the reader finds writes and locks in SQL text, FROM clauses, aliases and OF lists', () => {
  const uses = (text: string) => sqlUses(text).map((u) => `${u.kind} ${u.table}`);
  assert.deepEqual(uses('INSERT INTO a (x) VALUES (1)'), ['write a']);
  assert.deepEqual(uses('UPDATE mail_outbox o SET x = 1 WHERE o.id IN (SELECT id FROM mail_outbox FOR UPDATE SKIP LOCKED)'), [
    'write mail_outbox',
    'lock mail_outbox',
  ]);
  assert.deepEqual(uses('DELETE FROM b USING c WHERE b.id = c.id'), ['write b']);
  assert.deepEqual(uses('SELECT id FROM patients WHERE id = $1 FOR NO KEY UPDATE'), ['lock patients']);
  assert.deepEqual(uses('SELECT 1 FROM w_e w JOIN users u ON u.id = w.p WHERE EXISTS (SELECT 1 FROM o) FOR UPDATE OF w'), ['lock w_e']);
  assert.deepEqual(uses('SELECT 1 FROM a JOIN b ON (a.x = b.x) FOR SHARE'), ['lock a', 'lock b']);
  assert.deepEqual(uses('WITH i AS (INSERT INTO a SELECT 1) INSERT INTO b SELECT * FROM i'), ['write a', 'write b']);
  // Prose and reads are not statements that change anything.
  assert.deepEqual(uses('Cannot update an appointment; select from the list'), []);
  assert.deepEqual(uses('SELECT * FROM a WHERE x = 1'), []);
});

test('every table is written and locked only by its owner', () => {
  const uses = tableUses(files, ROOT, models);
  // The reader sees the statements it must see (it would otherwise pass by finding nothing).
  assert.ok(uses.some((u) => u.table === 'appointments' && u.kind === 'write' && ownedBy(u.file, 'appointments')));
  assert.ok(uses.some((u) => u.table === 'mail_outbox' && u.kind === 'lock'));
  assert.ok(uses.some((u) => u.table === 'waitlist_entries' && u.how === 'FOR UPDATE'));
  const unknown = [...new Set(uses.map((u) => u.table).filter((t) => !(t in OWNERS)))];
  assert.deepEqual(unknown, [], 'tables written or locked without an owner in TABLE_OWNERS (eslint.config.js)');
  const violations = uses
    .filter((u) => !ownedBy(u.file, OWNERS[u.table]))
    .map((u) => `${u.file}:${u.line} ${u.kind}s ${u.table} (${u.how}), owned by ${OWNERS[u.table]}`);
  assert.deepEqual(violations, [], `go through the owner's public functions:\n${violations.join('\n')}`);
});

test("every table's Drizzle model is defined by its owner", () => {
  const misplaced = models
    .filter((m) => !m.alias && m.table in OWNERS)
    .filter((m) => {
      const owner = OWNERS[m.table];
      // The platform's own tables are modelled together in src/platform/db/tables.ts.
      if (owner.startsWith('platform/')) return m.file !== 'src/platform/db/tables.ts' && !ownedBy(m.file, owner);
      return !ownedBy(m.file, owner);
    })
    .map((m) => `${m.file}: ${m.variable} models ${m.table}, owned by ${OWNERS[m.table]}`);
  assert.deepEqual(misplaced, []);
});

test("the owners' models cover every column of every table, and the map every table of the database", async (t) => {
  const { database, drop } = await freshDatabase();
  t.after(async () => {
    await database.close();
    await drop();
  });
  const dbColumns = await database.rows<{ table: string; column: string; generated: boolean }>(sql`
    SELECT c.table_name AS table, c.column_name AS column, c.is_generated = 'ALWAYS' AS generated
      FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
     WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
     ORDER BY 1, 2`);
  const tables = [...new Set(dbColumns.map((r) => r.table))].sort();
  assert.deepEqual(tables, Object.keys(OWNERS).sort(), 'TABLE_OWNERS (eslint.config.js) lists exactly the tables of the migrations');

  // The models as Drizzle sees them: every exported pgTable of the files that define one.
  const modelled = new Map<string, Set<string>>();
  for (const file of new Set(models.map((m) => m.file))) {
    const mod = (await import(pathToFileURL(resolve(ROOT, file)).href)) as Record<string, unknown>;
    for (const value of Object.values(mod)) {
      if (!(value instanceof PgTable)) continue;
      const config = getTableConfig(value);
      const cols = modelled.get(config.name) ?? new Set<string>();
      for (const c of config.columns) cols.add(c.name);
      modelled.set(config.name, cols);
    }
  }
  const missing: string[] = [];
  for (const table of tables) {
    // The migration runner's bookkeeping is read and written by the runner's own SQL before any model loads.
    if (OWNERS[table] === 'platform/db') continue;
    const cols = modelled.get(table);
    if (!cols) {
      missing.push(`${table}: no Drizzle model`);
      continue;
    }
    // A generated column (posts.search) is computed by the database and written by no statement; a model
    // may leave it out so that whole-row reads do not fetch it.
    for (const r of dbColumns.filter((c) => c.table === table && !c.generated))
      if (!cols.has(r.column)) missing.push(`${table}.${r.column}`);
  }
  assert.deepEqual(missing, [], "columns of the database that the owner's Drizzle model does not know");
});

test('docs/architecture.md lists the table owners of TABLE_OWNERS', () => {
  const doc = readFileSync(resolve(ROOT, 'docs/architecture.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Table owners'));
  assert.ok(section.startsWith('## Table owners'), 'docs/architecture.md has a "Table owners" section');
  const rows = [...section.matchAll(/^\|\s*`([a-z_]+)`\s*\|\s*`([a-z/]+)`\s*\|/gm)].map((m) => [m[1], m[2]]);
  assert.deepEqual(Object.fromEntries(rows), OWNERS);
});

test("each module's entry opens with what the module is for and names every table it owns", () => {
  for (const mod of readdirSync(new URL('../src/modules/', import.meta.url), { withFileTypes: true })) {
    const entry = new URL(`../src/modules/${mod.name}/index.ts`, import.meta.url);
    // A module nothing imports (admin, export) has routes only, and no entry.
    if (!mod.isDirectory() || !existsSync(entry)) continue;
    const text = readFileSync(entry, 'utf8');
    const header = text.slice(0, text.search(/^(?!\/\/)/m));
    assert.doesNotMatch(header.split('\n')[0]!, /public entry/, `${mod.name}: the first line says what the module is for`);
    const owned = Object.entries(OWNERS)
      .filter(([, owner]) => owner === mod.name)
      .map(([table]) => table);
    const named = /^\/\/ Owns/m.test(header) ? header.slice(header.search(/^\/\/ Owns/m)) : '';
    for (const table of owned) assert.match(named, new RegExp(`\\b${table}\\b`), `${mod.name}/index.ts names ${table} among what it owns`);
    if (owned.length === 0) assert.match(header, /^\/\/ Owns no table\.$/m, `${mod.name}/index.ts says it owns no table`);
  }
});
