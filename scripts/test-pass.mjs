// One pass of test files through node's test runner, started by scripts/test.mjs (under c8 when coverage is on):
//   node --import tsx --test-timeout=<ms> scripts/test-pass.mjs <times-file> <concurrency> <file>...
// It differs from `node --test <file>...` in two ways that matter on two cores:
// - <concurrency> worker processes run all the files (scripts/test-worker.mjs), each file as a suite named by
//   its path, instead of one process per file: a test process costs ~4.5 s of CPU before its first test.
// - The files start in the order given (scripts/test.mjs gives the slowest first, from
//   scripts/test-durations.json), each on the first worker that is free, where `node --test` sorts them by
//   name: sorted by name, the slowest files (test/process.test.ts, test/fuzz.test.ts) started last and ran
//   alone while the other core idled; slowest first, the short files fill in around them.
// It prints the spec reporter's output, and writes each file's time (its suite's duration), slowest first,
// to <times-file>.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

const [timesFile, concurrency, ...files] = process.argv.slice(2);

// The queue: one entry per file, named so that sorting them gives the order above.
const queue = `${timesFile}.queue`;
mkdirSync(join(queue, 'waiting'), { recursive: true });
mkdirSync(join(queue, 'taken'), { recursive: true });
files.forEach((file, i) => writeFileSync(join(queue, 'waiting', String(i).padStart(4, '0')), file));
const worker = pathToFileURL(join(import.meta.dirname, 'test-worker.mjs')).href;
const workers = Array.from({ length: Math.min(Number(concurrency), files.length) }, (_, i) => {
  const path = join(queue, `worker-${i + 1}.mjs`);
  writeFileSync(path, `import { work } from ${JSON.stringify(worker)};\nawait work(${JSON.stringify(queue)});\n`);
  return path;
});

const stream = run({ files: workers, concurrency: workers.length });

// Each file is a top-level suite of its worker, named by the file's path; the file's own top-level tests,
// one level below, carry the file's absolute path.
const perFile = new Map();
const tests = new Map(); // absolute path -> top-level tests that ended
const count = (event) => {
  if (event.nesting === 1 && event.file) tests.set(event.file, (tests.get(event.file) ?? 0) + 1);
  if (event.nesting !== 0) return;
  perFile.set(event.name, { ms: event.details.duration_ms, tests: tests.get(resolve(event.name)) ?? 0 });
};
stream.on('test:pass', count);
stream.on('test:fail', (event) => {
  process.exitCode = 1;
  count(event);
});

stream.compose(new spec()).pipe(process.stdout);
stream.on('end', () => {
  const lines = [...perFile]
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(([file, { ms, tests }]) => `${(ms / 1000).toFixed(1).padStart(7)} s ${String(tests).padStart(3)} tests  ${file}`);
  writeFileSync(timesFile, `${lines.join('\n')}\n`);
});
