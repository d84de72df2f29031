// Runs every *.test.ts under src/ and test/ with node's test runner (through tsx), on Node 20 too,
// whose runner has no glob support. Extra arguments are passed on (e.g. a file list).
import { readdirSync, statSync } from 'node:fs';
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
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${concurrency}`, '--test-timeout=300000', ...files],
  { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(r.status ?? 1);
