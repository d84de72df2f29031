// One pass of test files through node's test runner, started by scripts/test.mjs (under c8 when coverage is on):
//   node --import tsx --test-timeout=<ms> scripts/test-pass.mjs <times-file> <concurrency> <file>...
// It differs from `node --test <file>...` in one way that matters on two cores: the files start in the order
// given (scripts/test.mjs gives the slowest first, from scripts/test-durations.json), where `node --test`
// sorts them by name. Sorted by name, the slowest files (test/process.test.ts, test/fuzz.test.ts) started last
// and ran alone while the other core idled; slowest first, the short files fill in around them.
// It prints the spec reporter's output, and writes each file's time (the sum of its top-level tests'
// durations), slowest first, to <times-file>.
import { writeFileSync } from 'node:fs';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

const [timesFile, concurrency, ...files] = process.argv.slice(2);
const stream = run({ files, concurrency: Number(concurrency) });

const perFile = new Map();
const count = (event) => {
  // Top-level tests of a file run one after another: their durations add up to the file's time.
  if (event.nesting !== 0 || !event.file) return;
  const f = perFile.get(event.file) ?? { ms: 0, tests: 0 };
  f.ms += event.details.duration_ms;
  f.tests++;
  perFile.set(event.file, f);
};
stream.on('test:pass', count);
stream.on('test:fail', (event) => {
  process.exitCode = 1;
  count(event);
});

stream.compose(new spec()).pipe(process.stdout);
stream.on('end', () => {
  const cwd = `${process.cwd()}/`;
  const lines = [...perFile]
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(([file, { ms, tests }]) => `${(ms / 1000).toFixed(1).padStart(7)} s ${String(tests).padStart(3)} tests  ${file.replace(cwd, '')}`);
  writeFileSync(timesFile, `${lines.join('\n')}\n`);
});
