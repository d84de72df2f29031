// A URL finds its file in one step: docs/routes.md names, for every operation the server publishes, the
// module routes.ts that registers it. The index is generated from the routes as registered (src/app.ts
// records which module each route came from), so it cannot name a wrong file; this test keeps it fresh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { generate, ROUTES_MD } from '../scripts/openapi.ts';

test('docs/routes.md lists every published operation with the module file that serves it, and is current', async () => {
  const { json, routes, index } = await generate();
  assert.equal(readFileSync(ROUTES_MD, 'utf8'), routes, `${ROUTES_MD} is stale: run npm run openapi`);

  const doc = JSON.parse(json) as { paths: Record<string, Record<string, { operationId: string }>> };
  // Health probes are the platform's (src/platform/health.ts), named in the index's preamble.
  const published = Object.entries(doc.paths)
    .filter(([path]) => !path.startsWith('/health'))
    .flatMap(([, ops]) => Object.values(ops).map((op) => op.operationId));
  const indexed = routes.match(/`[A-Za-z$]+` \|/g)?.map((s) => s.slice(1, -3)) ?? [];
  assert.deepEqual([...indexed].sort(), [...published].sort(), 'every operation appears in the index exactly once');

  for (const r of index) {
    assert.ok(existsSync(`src/modules/${r.module}/routes.ts`), `${r.method} ${r.url}: src/modules/${r.module}/routes.ts exists`);
  }
  // The WebSocket endpoint is a module like any other, not a platform route.
  assert.ok(index.some((r) => r.url === '/api/v1/ws' && r.module === 'realtime'));
});
