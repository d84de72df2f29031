// A test process that runs many test files, one after another, taken from a queue shared with the other
// workers of its pass (scripts/test-pass.mjs). Each file runs as a suite named by its path, so its top-level
// hooks (before/after, beforeEach) apply to its own tests only, as they would in a process of its own.
//
// Why not one process per file (what `node --test` does): a test process pays about 4.5 s of CPU before its
// first test (tsx's loader and the app's ~250 modules, PGlite's 9 MB of WebAssembly, Fastify's response
// serializers), the same work in each of ~60 files. A worker pays it once, and the queue keeps the workers
// busy until the last file: the next file goes to whichever worker is free first.
import { readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe } from 'node:test';

/** The next file of the queue, or null when it is empty. Renaming is atomic: one worker wins each entry. */
function claim(queueDir) {
  for (const entry of readdirSync(join(queueDir, 'waiting')).sort()) {
    const taken = join(queueDir, 'taken', `${entry}-${process.pid}`);
    try {
      renameSync(join(queueDir, 'waiting', entry), taken);
    } catch (e) {
      if (e.code === 'ENOENT') continue; // another worker took it first
      throw e;
    }
    return readFileSync(taken, 'utf8');
  }
  return null;
}

export async function work(queueDir) {
  for (let file = claim(queueDir); file; file = claim(queueDir)) {
    // At the top level, describe() resolves when the suite has run: the next file is claimed only then.
    await describe(file, () => import(pathToFileURL(join(process.cwd(), file)).href));
  }
}
