// The pseudo-locale en-XA: English's messages with every Latin letter swapped for an accented look-alike, vowels
// doubled (about 40 % longer, as German or Spanish run) and ⟦ ⟧ around each message. Generated from the English
// catalogue when it is asked for, never a committed catalogue: a screen in it shows hard-coded English as plain
// ASCII words, text clipped by a fixed width loses its closing ⟧, and a layout too tight for longer languages
// overflows. Only literal text changes; placeholders, plural and select branches, `#` and tags stay as they are.
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';

export const PSEUDO_LOCALE = 'en-XA';

const FROM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const TO = 'åƀçđéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýžÅƁÇĐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ';
const MAP = new Map([...FROM].map((c, i) => [c, [...TO][i]]));
const VOWELS = new Set([...'aeiouyAEIOUY']);

/** A piece of literal text in the pseudo-locale: each letter accented, each vowel written twice. */
export function pseudoText(s: string): string {
  let out = '';
  for (const c of s) {
    const m = MAP.get(c);
    out += m === undefined ? c : VOWELS.has(c) ? m + m : m;
  }
  return out;
}

function walk(elements: MessageFormatElement[]): MessageFormatElement[] {
  return elements.map((e) => {
    switch (e.type) {
      case TYPE.literal:
        return { ...e, value: pseudoText(e.value) };
      case TYPE.plural:
      case TYPE.select:
        return {
          ...e,
          options: Object.fromEntries(Object.entries(e.options).map(([k, o]) => [k, { ...o, value: walk(o.value) }])),
        } as typeof e;
      case TYPE.tag:
        return { ...e, children: walk(e.children) };
      default:
        return e;
    }
  });
}

/** An English ICU message as the pseudo-locale's parsed message, bracketed so a clipped end shows. */
export function pseudoMessage(english: string): MessageFormatElement[] {
  return [{ type: TYPE.literal, value: '⟦' }, ...walk(parse(english)), { type: TYPE.literal, value: '⟧' }];
}
