// Runs every *.test.ts under src/ and test/ with node's test runner (through tsx), on Node 20 too,
// whose runner has no glob support. Extra arguments are passed on (e.g. a file list).
import { existsSync, readdirSync, statSync } from 'node:fs';
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

const args = process.argv.slice(2);
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
// *.browser.test.ts drive Debian's Chromium (never a downloaded browser): they run when one is found.
const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const browserFiles = files.filter((f) => f.endsWith('.browser.test.ts'));
if (browserFiles.length) {
  if (existsSync(chromium)) {
    console.log(`browser tests: Chromium at ${chromium}: ${browserFiles.join(', ')}`);
  } else {
    console.log(`browser tests NOT RUN: no Chromium at ${chromium} (apt-get install chromium, or set CHROMIUM_PATH): ${browserFiles.join(', ')}`);
    for (const f of browserFiles) files.splice(files.indexOf(f), 1);
  }
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const run = (list, extra) => spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', ...extra, ...list],
  { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test', CHROMIUM_PATH: chromium } },
).status ?? 1;
const plain = files.filter((f) => !f.endsWith('.browser.test.ts'));
const browsers = files.filter((f) => f.endsWith('.browser.test.ts'));
let status = plain.length ? run(plain, [`--test-concurrency=${concurrency}`, '--test-timeout=300000']) : 0;
// Journeys drive a whole browser and several people each: one file at a time, with a longer deadline.
if (browsers.length) status = run(browsers, ['--test-concurrency=1', '--test-timeout=900000']) || status;
if (browserFiles.length && !browsers.length) console.log('browser tests NOT RUN (no Chromium): see above');
process.exit(status);
