// Lint: correctness rules (eslint + typescript-eslint recommended) and the dependency graph of
// docs/architecture.md. Formatting is Prettier's job (eslint-config-prettier turns off rules that clash).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

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
