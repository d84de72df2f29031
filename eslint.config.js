// Lint: correctness rules (eslint + typescript-eslint recommended) and the dependency graph of
// docs/architecture.md. Formatting is Prettier's job (eslint-config-prettier turns off rules that clash).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import { readdirSync } from 'node:fs';

// Modules meet only through each other's public entry file (src/modules/<m>/index.ts): for every module, a
// zone that forbids importing any other module's files except that file.
const MODULES = readdirSync('./src/modules', { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);
const moduleZones = MODULES.map((m) => ({
  target: `./src/modules/${m}`,
  from: './src/modules',
  except: [`./${m}`, './index.ts', ...MODULES.filter((o) => o !== m).map((o) => `./${o}/index.ts`)],
  message: `src/modules/${m} may use another module only through its public entry, src/modules/<module>/index.ts.`,
}));

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
