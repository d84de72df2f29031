// Runs every *.test.ts under src/ and test/ with node's test runner (through tsx), on Node 20 too,
// whose runner has no glob support. Extra arguments are passed on (e.g. a file list).
//   TEST_DATABASE_URL  run against that PostgreSQL server (and include *.server.test.ts, *.server.browser.test.ts)
//   TEST_CONCURRENCY   worker processes, each running one file at a time (default 3: a file waits on its
//                      server, mail or child processes about a third of its time, and at 2 the run used 1.7
//                      of the 2 cores)
//   TEST_RECORD_DURATIONS=1  write this run's file times into scripts/test-durations.json (the start order)
//   TEST_COVERAGE=0    skip the coverage summary (c8)
//   CHROMIUM_PATH      the Chromium that *.browser.test.ts drive (default /usr/bin/chromium)
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
  // *.server.browser.test.ts need both: they run with TEST_DATABASE_URL, in the browser pass.
  const serverOnly = all.filter((f) => f.endsWith('.server.test.ts') || f.endsWith('.server.browser.test.ts'));
  const files = process.env.TEST_DATABASE_URL ? all : all.filter((f) => !serverOnly.includes(f));
  if (!process.env.TEST_DATABASE_URL && serverOnly.length) {
    console.log(`engine: embedded PGlite; deferred to the server engine (run with TEST_DATABASE_URL): ${serverOnly.join(', ')}`);
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

/**
 * Files in the order they start: slowest first by scripts/test-durations.json (seconds per file on this
 * engine, as the last run with TEST_RECORD_DURATIONS=1 on it measured them), so that no long file starts
 * last and runs alone on one core while the other idles. A file not listed yet counts as a short one. The
 * engines differ: export-memory.test.ts, say, is among the slowest on PGlite and not on a server.
 */
const DURATIONS = 'scripts/test-durations.json';
const ENGINE = process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite';
const recorded = existsSync(DURATIONS) ? JSON.parse(readFileSync(DURATIONS, 'utf8')) : {};
const durations = recorded[ENGINE] ?? {};
const slowestFirst = (list) => [...list].sort((a, b) => (durations[b] ?? 3) - (durations[a] ?? 3) || a.localeCompare(b));

/** Updates this engine's times in scripts/test-durations.json with a pass's (lines of scripts/test-pass.mjs). */
function recordDurations(measured) {
  for (const line of measured.split('\n')) {
    const m = /^\s*([\d.]+) s\s+\d+ tests\s+(\S+)$/.exec(line);
    if (m) durations[m[2]] = Number(m[1]);
  }
  recorded[ENGINE] = Object.fromEntries(Object.entries(durations).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(DURATIONS, `${JSON.stringify(recorded, null, 2)}\n`);
}

const files = selectFiles(process.argv.slice(2));

// *.browser.test.ts drive Debian's Chromium (never a downloaded browser): they run when one is found,
// and the run says so loudly when they do not.
const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const browserFiles = files.filter((f) => f.endsWith('.browser.test.ts'));
const plain = files.filter((f) => !f.endsWith('.browser.test.ts'));
let browsers = browserFiles;
if (browserFiles.length) {
  if (existsSync(chromium)) {
    console.log(`browser tests: Chromium at ${chromium}: ${browserFiles.join(', ')}`);
  } else {
    console.log(
      `browser tests NOT RUN: no Chromium at ${chromium} (apt-get install chromium, or set CHROMIUM_PATH): ${browserFiles.join(', ')}`,
    );
    browsers = [];
  }
}

// Tests that start the server or the CLI as a child process run the compiled build (test/fixtures/compiled.ts):
// it is brought up to date here, once, before files that use it run side by side.
{
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/fixtures/compiled.ts'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const scratch = mkdtempSync(join(tmpdir(), 'telecare-test-run-'));
let status = 1;
try {
  const env = { ...process.env, NODE_ENV: 'test', CHROMIUM_PATH: chromium, ...prepareTemplate(scratch) };
  const concurrency = process.env.TEST_CONCURRENCY ?? '3';
  // Each pass's wall time, and its slowest files, printed after its tests (scripts/test-pass.mjs).
  const run = (name, list, concurrency, timeoutMs, coverage = false) => {
    const times = join(scratch, `${name}.times`);
    // --test-timeout is inherited by each file's process, where it bounds every test, as with `node --test`.
    const args = [
      '--import',
      'tsx',
      `--test-timeout=${timeoutMs}`,
      'scripts/test-pass.mjs',
      times,
      String(concurrency),
      ...slowestFirst(list),
    ];
    const t0 = Date.now();
    const result = spawnSync(process.execPath, coverage ? withCoverage(args) : args, { stdio: 'inherit', env }).status ?? 1;
    const measured = existsSync(times) ? readFileSync(times, 'utf8') : '';
    console.log(`${name} pass: ${list.length} files in ${((Date.now() - t0) / 1000).toFixed(1)} s; slowest files:`);
    console.log(measured.split('\n').slice(0, 12).join('\n'));
    if (process.env.TEST_RECORD_DURATIONS === '1' && measured) recordDurations(measured);
    return result;
  };
  status = plain.length ? run('plain', plain, concurrency, 300_000, true) : 0;
  // Journeys drive a whole browser and several people each: one file at a time, with a longer deadline.
  if (browsers.length) status = run('browser', browsers, 1, 900_000) || status;
  if (browserFiles.length && !browsers.length) console.log('browser tests NOT RUN (no Chromium): see above');
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(status);
