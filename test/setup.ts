// What `npm test` prepares once before the test processes start (package.json's pretest), so that files
// running side by side never build the same thing at once:
// - the compiled dist/ that tests starting the server or the CLI as a child process run (test/fixtures/compiled.ts);
// - the migrated PGlite template every embedded test database loads (test/fixtures/pglite-template.ts).
import { ensureBuilt } from './fixtures/compiled.ts';
import { cachedTemplateFile } from './fixtures/pglite-template.ts';

ensureBuilt();
if (!process.env.TEST_DATABASE_URL) console.log(`PGlite template: ${await cachedTemplateFile()}`);
