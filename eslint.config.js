// Lint: correctness rules (eslint + typescript-eslint recommended) and the dependency graph of
// docs/architecture.md. Formatting is Prettier's job (eslint-config-prettier turns off rules that clash).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import { readdirSync } from 'node:fs';

// The module graph (docs/architecture.md), lowest layer first. A module may import another module only
// through that module's public entry file (src/modules/<m>/index.ts), and only from a LOWER layer: the
// dependencies run one way, so there is no cycle to form. Where a change upstream must start work
// downstream (a cancellation frees time for the waitlist), the upstream module runs a hook
// (platform/hooks.ts) and src/modules/index.ts subscribes the downstream module.
export const LAYERS = [
  ['auth'], // identity: who the caller is
  ['doctors', 'audit', 'admin'], // profiles and availability rules; the audit trail's reads; account suspension
  ['appointments', 'posts'], // booking, free slots, the care relationship; articles
  ['patients', 'notifications', 'messages', 'visits', 'clinical'], // what the care relationship opens; the clinical record
  ['waitlist', 'prescriptions'],
  // realtime: the WebSocket endpoint and the typed list of its frames, which carry the features' schemas.
  ['fhir', 'accounts', 'realtime'],
  ['export'],
];
const MODULES = readdirSync('./src/modules', { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);
const layerOf = new Map(LAYERS.flatMap((names, i) => names.map((n) => [n, i])));
const unplaced = MODULES.filter((m) => !layerOf.has(m));
if (unplaced.length) throw new Error(`eslint.config.js: put ${unplaced.join(', ')} in a layer of LAYERS (docs/architecture.md)`);
const moduleZones = MODULES.map((m) => {
  const below = MODULES.filter((o) => layerOf.get(o) < layerOf.get(m));
  return {
    target: `./src/modules/${m}`,
    from: './src/modules',
    except: [`./${m}`, './index.ts', ...below.map((o) => `./${o}/index.ts`)],
    message:
      `src/modules/${m} may use only the public entry (src/modules/<module>/index.ts) of a module in a lower layer: ` +
      `${below.join(', ') || 'none'} (eslint.config.js LAYERS, docs/architecture.md).`,
  };
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', 'web/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: globals.node },
    plugins: { 'import-x': importX },
    rules: {
      // Response bodies and test helpers are untyped JSON by nature.
      '@typescript-eslint/no-explicit-any': 'off',
      // One import statement per file imported.
      'import-x/no-duplicates': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // The dependency graph (docs/architecture.md); paths are resolved, so `../` tricks do not escape it.
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: './src/platform',
              from: './src/modules',
              message: 'src/platform is shared plumbing: it must not know any feature module.',
            },
            { target: './src', from: './test', except: [], message: 'Production code must not import test code (test files may).' },
            { target: './web', from: './src', message: 'web/ talks to the API only through the generated client.' },
            ...moduleZones,
          ],
        },
      ],
    },
  },
  {
    // Test files may use the shared fixtures under test/.
    files: ['**/*.test.ts'],
    rules: { 'import-x/no-restricted-paths': ['error', { zones: [{ target: './src/platform', from: './src/modules' }] }] },
  },
);
