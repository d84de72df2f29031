// Runs every *.test.ts under src/ and test/ with node's test runner (through tsx), on Node 20 too,
// whose runner has no glob support. Extra arguments are passed on (e.g. a file list).
//   TEST_DATABASE_URL  run against that PostgreSQL server (and include *.server.test.ts)
//   TEST_CONCURRENCY   test files run at once (default 2)
//   TEST_COVERAGE=0    skip the coverage summary (c8)
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  let out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(find(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** The test files of this run: the arguments, or every test file the engine can run. */
function selectFiles(args) {
  const all = args.length ? args : [...find('src'), ...find('test')].sort();
  // *.server.test.ts need a PostgreSQL server (several instances on one database, a database cut off
  // under traffic): the embedded engine is one in-process database, so they run only with TEST_DATABASE_URL.
  const serverOnly = all.filter((f) => f.endsWith('.server.test.ts'));
  const files = process.env.TEST_DATABASE_URL ? all : all.filter((f) => !serverOnly.includes(f));
  if (!process.env.TEST_DATABASE_URL && serverOnly.length) {
    console.log(`engine: embedded PGlite; server-engine files run with TEST_DATABASE_URL: ${serverOnly.join(', ')}`);
  } else {
    console.log(`engine: ${process.env.TEST_DATABASE_URL ? 'PostgreSQL server' : 'embedded PGlite'}`);
  }
  return files;
}

/**
 * Embedded engine: migrates one PGlite database and dumps it to a file that every test process loads
 * (test/fixtures/pglite-template.ts), instead of each file's process migrating its own.
 */
function prepareTemplate(scratch) {
  if (process.env.TEST_DATABASE_URL) return {};
  const file = join(scratch, 'pglite-template.tar');
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/fixtures/pglite-template.ts', file], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  console.log(`migrated PGlite template built once for this run in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { TELECARE_TEST_PGLITE_TEMPLATE: file };
}

/**
 * Coverage of src/ through c8 (V8 coverage of every test process, mapped back to the .ts sources), printed
 * as a summary after the tests. Node 20's own --experimental-test-coverage fails to merge several files.
 */
function withCoverage(args) {
  if (process.env.TEST_COVERAGE === '0') return args;
  const c8 = join('node_modules', 'c8', 'bin', 'c8.js');
  return [c8, '--reporter=text-summary', '--include=src/**', '--exclude=**/*.test.ts', '--exclude-after-remap', process.execPath, ...args];
}

const files = selectFiles(process.argv.slice(2));
const scratch = mkdtempSync(join(tmpdir(), 'telecare-test-run-'));
let status = 1;
try {
  const env = { ...process.env, NODE_ENV: 'test', ...prepareTemplate(scratch) };
  const concurrency = process.env.TEST_CONCURRENCY ?? '2';
  const r = spawnSync(
    process.execPath,
    withCoverage([
      '--import',
      'tsx',
      '--test',
      '--test-reporter=spec',
      `--test-concurrency=${concurrency}`,
      '--test-timeout=300000',
      ...files,
    ]),
    { stdio: 'inherit', env },
  );
  status = r.status ?? 1;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(status);
