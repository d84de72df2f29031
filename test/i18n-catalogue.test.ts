// The message catalogues (locales/*.json) are complete and consistent: every locale has exactly English's
// keys, every message parses as ICU MessageFormat with the same placeholders as English's and only plural
// categories its language has, every key is used by the server or the portal, and every key the code asks
// for exists. A translation that drops {name} or a key nobody reads fails the build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { printAST } from '@formatjs/icu-messageformat-parser/printer.js';
import { catalogues, LOCALES, LOCALES_DIR } from '../src/platform/i18n.ts';
import { pseudoMessage } from '../web/src/pseudo.ts';

const en = catalogues.en;

test('the server ships a catalogue for each of its locales, and no other', () => {
  const files = readdirSync(LOCALES_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, ''))
    .sort();
  assert.deepEqual(files, [...LOCALES].sort());
});

test('every locale has exactly the keys of English', () => {
  for (const locale of LOCALES) {
    const keys = Object.keys(catalogues[locale]);
    const missing = Object.keys(en).filter((k) => !(k in catalogues[locale]));
    const extra = keys.filter((k) => !(k in en));
    assert.deepEqual(missing, [], `${locale}: keys missing`);
    assert.deepEqual(extra, [], `${locale}: keys English does not have`);
    for (const k of keys) assert.ok(catalogues[locale][k].trim().length > 0, `${locale}: ${k} is empty`);
  }
});

/** The placeholders of a parsed message, with their kinds ("name:argument", "n:plural"), and its plural categories. */
function placeholders(elements: MessageFormatElement[], into = new Set<string>(), categories = new Set<string>()) {
  for (const e of elements) {
    switch (e.type) {
      case TYPE.argument:
      case TYPE.number:
      case TYPE.date:
      case TYPE.time:
        into.add(`${e.value}:${TYPE[e.type]}`);
        break;
      case TYPE.select:
        into.add(`${e.value}:select`);
        for (const o of Object.values(e.options)) placeholders(o.value, into, categories);
        break;
      case TYPE.plural:
        into.add(`${e.value}:plural`);
        for (const [category, o] of Object.entries(e.options)) {
          if (!category.startsWith('=')) categories.add(category);
          placeholders(o.value, into, categories);
        }
        break;
      case TYPE.tag:
        into.add(`<${e.value}>:tag`);
        placeholders(e.children, into, categories);
        break;
      default:
        break;
    }
  }
  return { names: [...into].sort(), categories };
}

test('every message parses as ICU MessageFormat, with the placeholders of English and its language’s plural categories', () => {
  for (const locale of LOCALES) {
    const allowed = new Set(new Intl.PluralRules(locale).resolvedOptions().pluralCategories);
    for (const [key, message] of Object.entries(catalogues[locale])) {
      let parsed: MessageFormatElement[];
      try {
        parsed = parse(message);
      } catch (err) {
        assert.fail(`${locale}: ${key} does not parse: ${(err as Error).message}`);
      }
      const { names, categories } = placeholders(parsed);
      const english = placeholders(parse(en[key] ?? '')).names;
      assert.deepEqual(names, english, `${locale}: ${key} has other placeholders than English's`);
      for (const c of categories) assert.ok(allowed.has(c as Intl.LDMLPluralRule), `${locale}: ${key} uses plural category "${c}"`);
      if (categories.size) assert.ok(categories.has('other'), `${locale}: ${key} lacks the "other" plural category`);
    }
  }
});

/** Production sources of the server and the portal (tests left out: a key only a test names is unused). */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|tsx)$/.test(e.name) && !/\.test\.ts$/.test(e.name) && !/\.d\.ts$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}
const code = [...sources('src'), ...sources('web/src')].map((f) => readFileSync(f, 'utf8')).join('\n');

test('every key of the catalogue is used by the server or the portal, spelt out whole', () => {
  const unused = Object.keys(en).filter((k) => !code.includes(`'${k}'`) && !code.includes(`"${k}"`));
  assert.deepEqual(unused, [], 'keys no code names (remove them, or name them whole where they are used)');
});

test('every key the code asks for exists in English', () => {
  // t(locale, 'key' …) on the server, t('key' …) in the portal, and the helpers that take a key.
  const asked = [...code.matchAll(/\b(?:t|tRich|say|keyed)\(\s*(?:[\w.]+,\s*)?'([a-z][\w-]*(?:\.[\w-]+)+)'/g)].map((m) => m[1]);
  assert.ok(asked.length > 20, `found ${asked.length} keys asked for: is the pattern still right?`);
  const unknown = [...new Set(asked)].filter((k) => !(k in en));
  assert.deepEqual(unknown, []);
});

/** The literal text of a parsed message, in every plural, select and tag branch. */
function literals(elements: MessageFormatElement[]): string {
  return elements
    .map((e) =>
      e.type === TYPE.literal
        ? e.value
        : e.type === TYPE.plural || e.type === TYPE.select
          ? Object.values(e.options)
              .map((o) => literals(o.value))
              .join(' ')
          : e.type === TYPE.tag
            ? literals(e.children)
            : '',
    )
    .join(' ');
}

test('the pseudo-locale en-XA, generated from English, keeps every placeholder and leaves no plain ASCII letter', () => {
  let english = 0;
  let pseudo = 0;
  for (const [key, message] of Object.entries(en)) {
    const made = pseudoMessage(message);
    // The same placeholders (and tags, plurals, selects) as English, so it formats wherever English does.
    assert.deepEqual(placeholders(made).names, placeholders(parse(message)).names, `${key}: placeholders changed`);
    const text = printAST(made);
    assert.ok(text.startsWith('⟦') && text.endsWith('⟧'), `${key}: not bracketed`);
    // Its literal text (not placeholder, option or tag names) has no plain ASCII letter left.
    assert.doesNotMatch(literals(made), /[A-Za-z]/, `${key}: plain English left: ${text}`);
    english += message.length;
    pseudo += text.length;
  }
  // About 40 % longer, as German or Spanish texts run.
  assert.ok(pseudo / english >= 1.3, `pseudo-locale only ${(pseudo / english).toFixed(2)} times as long as English`);
});
