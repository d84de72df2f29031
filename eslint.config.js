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
// downstream (a cancellation frees time for the waitlist), the upstream module runs a hook on the platform
// object (platform/hooks.ts), which buildApp creates and subscribes through src/modules/index.ts.
export const LAYERS = [
  ['auth'], // identity: who the caller is
  // inbox: the in-portal notification list; every module that notifies adds its entries in its own transaction.
  ['inbox'],
  // clinic: the clinic's settings (name, address, logo, colours, mail footer), read by mails and the PDF.
  ['doctors', 'audit', 'admin', 'clinic'], // profiles and availability rules; the audit trail's reads; account suspension
  ['appointments', 'posts'], // booking, free slots, the care relationship; articles
  ['attachments'], // photos and documents: below messages, which carry them
  ['patients', 'notifications', 'messages', 'visits', 'clinical'], // what the care relationship opens; the clinical record
  // intake: questionnaires, consent, location; it provides the visits module's join gate (p.hooks.visits.gate).
  ['waitlist', 'prescriptions', 'intake'],
  // realtime: the WebSocket endpoint and the typed list of its frames, which carry the features' schemas.
  ['fhir', 'accounts', 'realtime'],
  ['export'],
];
// The owner of every table (docs/architecture.md, "Table owners"): the one module (src/modules/<owner>/) or
// platform file (src/platform/<owner>.ts, or the folder src/platform/<owner>/) whose statements write or
// lock it and whose Drizzle model describes it whole. Anyone else reads it, or asks the owner's public
// functions to change it. test/table-ownership.test.ts reads the SQL of every source file (Drizzle
// insert/update/delete/for calls and SQL text) and fails on a write or lock by another, as the zones
// below fail an import; it also checks this list against the database and the architecture document.
export const TABLE_OWNERS = {
  users: 'auth',
  sessions: 'auth',
  refresh_tokens: 'auth',
  email_tokens: 'auth',
  login_failures: 'auth',
  auth_mail_requests: 'auth',
  doctors: 'doctors',
  availability_rules: 'doctors',
  doctor_time_off: 'doctors',
  appointments: 'appointments',
  idempotency_keys: 'appointments',
  posts: 'posts',
  patients: 'patients',
  reminder_jobs: 'notifications',
  calendar_feeds: 'notifications',
  messages: 'messages',
  conversations: 'messages',
  message_unread: 'messages',
  visit_presence: 'visits',
  visit_admissions: 'visits',
  doctor_running_late: 'visits',
  visit_screen_share: 'visits',
  visit_guests: 'visits',
  waitlist_entries: 'waitlist',
  waitlist_offers: 'waitlist',
  prescriptions: 'prescriptions',
  clinic_settings: 'clinic',
  clinical_allergies: 'clinical',
  clinical_medications: 'clinical',
  clinical_problems: 'clinical',
  visit_notes: 'clinical',
  visit_note_addenda: 'clinical',
  export_runs: 'export',
  attachments: 'attachments',
  attachment_chunks: 'attachments',
  intake_questionnaires: 'intake',
  intake_questionnaire_versions: 'intake',
  intake_responses: 'intake',
  consent_heads: 'intake',
  consent_versions: 'intake',
  consent_acceptances: 'intake',
  visit_locations: 'intake',
  user_notifications: 'inbox',
  message_digests: 'messages',
  mail_outbox: 'platform/mail',
  audit_events: 'platform/audit',
  audit_chain: 'platform/audit',
  audit_chain_head: 'platform/audit',
  realtime_events: 'platform/realtime',
  schema_migrations: 'platform/db',
};
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
    // Type-aware rules that matter in an async server: a promise nobody awaits loses its error (an unhandled
    // rejection ends the process) and its ordering; a switch over a union must name every member.
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['web/vite.config.ts'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's test() and describe() return a promise the runner itself awaits and reports.
          allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    // The portal runs in the browser. Preact ignores what an event handler returns; the portal's handlers send
    // their requests through useAction's run, which shows a failure in a ProblemBanner instead of rejecting.
    files: ['web/src/**'],
    languageOptions: { globals: globals.browser },
    rules: { '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }] },
  },
  {
    // Test files may use the shared fixtures under test/.
    files: ['**/*.test.ts'],
    rules: { 'import-x/no-restricted-paths': ['error', { zones: [{ target: './src/platform', from: './src/modules' }] }] },
  },
);
