// A node:test reporter that writes each test file's time (the sum of its top-level tests' durations, which
// run one after another), slowest first; scripts/test.mjs prints the head of it after a run.
export default async function* fileTimes(source) {
  const files = new Map();
  for await (const event of source) {
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.nesting === 0 && event.data.file) {
      const f = files.get(event.data.file) ?? { ms: 0, tests: 0 };
      f.ms += event.data.details.duration_ms;
      f.tests++;
      files.set(event.data.file, f);
    }
  }
  for (const [file, { ms, tests }] of [...files].sort((a, b) => b[1].ms - a[1].ms)) {
    yield `${(ms / 1000).toFixed(1).padStart(7)} s ${String(tests).padStart(3)} tests  ${file.replace(`${process.cwd()}/`, '')}\n`;
  }
}
