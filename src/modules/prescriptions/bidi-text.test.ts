import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BidiParagraph, isolate, withoutBidiControls } from './bidi-text.ts';

const runs = (text: string, direction: 'ltr' | 'rtl' = 'rtl') => new BidiParagraph(text, direction).line();

test('a line is handed over as runs left to right, each written so that fontkit prints it the right way round', () => {
  // An isolated value keeps its own order left of its Arabic label; the Arabic run stays in logical order
  // (fontkit shapes it, then reverses it).
  assert.deepEqual(runs(`التركيز: ${isolate('500 mg')}`), [
    { text: '500 mg', rtl: false },
    { text: 'التركيز: ', rtl: true },
  ]);
  // Brackets in a right-to-left run are mirrored (fontkit does not), so "(" still opens towards its text.
  assert.deepEqual(runs('تؤخذ (بعد الأكل)'), [{ text: 'تؤخذ )بعد الأكل(', rtl: true }]);
  // Arabic-Indic digits read left to right, but fontkit reverses anything of the Arabic script: handed over reversed.
  assert.deepEqual(runs('أرقام ١٢٣٤'), [
    { text: '٤٣٢١', rtl: false },
    { text: 'أرقام ', rtl: true },
  ]);
  // A Latin drug line inside an Arabic page: its number on the right, the drug and strength as written.
  assert.deepEqual(
    runs(`1. ${isolate('Amoxicillin 500 mg')}`).map((r) => r.text),
    ['Amoxicillin 500 mg', ' .', '1'],
  );
  // A left-to-right page: one run, unchanged; an Arabic name inside it is its own run.
  assert.deepEqual(runs('Patient: Ada Lovelace', 'ltr'), [{ text: 'Patient: Ada Lovelace', rtl: false }]);
  assert.deepEqual(runs(`Name: ${isolate('فاطمة الزهراء')}`, 'ltr'), [
    { text: 'Name: ', rtl: false },
    { text: 'فاطمة الزهراء', rtl: true },
  ]);
});

test('a stray directional control in a value cannot reorder the line around it', () => {
  assert.equal(withoutBidiControls('Jane\u202eDoe\u2069\u200f'), 'JaneDoe');
  assert.deepEqual(runs(`Name: ${isolate('Eve\u2069\u202e evil')}`, 'ltr'), [{ text: 'Name: Eve evil', rtl: false }]);
});

test('paragraphs wrap at white space in logical order, a word wider than the line where it must', () => {
  const measure = (s: string) => s.length;
  assert.deepEqual(new BidiParagraph('aaaa bbbb cccc', 'ltr').wrap(10, measure), [
    [0, 9],
    [10, 13],
  ]);
  assert.deepEqual(new BidiParagraph('x'.repeat(25), 'ltr').wrap(10, measure), [
    [0, 9],
    [10, 19],
    [20, 24],
  ]);
  assert.deepEqual(new BidiParagraph('', 'rtl').wrap(10, measure), []);
  // Each wrapped line is ordered on its own: the second line of an Arabic paragraph starts at its right edge.
  const p = new BidiParagraph('الراحة وشرب الماء', 'rtl');
  const lines = p.wrap(8, measure);
  assert.deepEqual(
    lines.map(([a, b]) => p.line(a, b).map((r) => r.text)),
    [['الراحة '], ['وشرب '], ['الماء']],
  );
});
