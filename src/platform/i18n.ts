// Languages and time zones (contract: "Languages and time zones"). The message catalogues live in the
// top-level locales/ folder, one JSON file per locale of flat keys → ICU MessageFormat messages, so the
// server (here) and the portal (web/src/i18n.ts, which bundles them) read the same texts without either
// importing the other. Read from disk relative to this file, like migrations/: the same path from src/ under
// tsx and from dist/ under node.
import { readFileSync } from 'node:fs';
import { IntlMessageFormat, type PrimitiveType } from 'intl-messageformat';
import Negotiator from 'negotiator';

export const LOCALES = ['en', 'de', 'es', 'ar'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

export const isLocale = (s: unknown): s is Locale => typeof s === 'string' && (LOCALES as readonly string[]).includes(s);

/** The writing direction of a locale's texts. */
export const directionOf = (l: Locale): 'rtl' | 'ltr' => (l === 'ar' ? 'rtl' : 'ltr');

/**
 * The tag Intl formats a locale's dates and numbers with: British English for `en` (day before month, 24-hour
 * clock, as the service wrote its times before it spoke other languages); the others as their main region does.
 */
const INTL_TAG: Record<Locale, string> = { en: 'en-GB', de: 'de-DE', es: 'es-ES', ar: 'ar' };

export const LOCALES_DIR = new URL('../../locales/', import.meta.url);

export type Catalogue = Record<string, string>;

function load(locale: Locale): Catalogue {
  return JSON.parse(readFileSync(new URL(`${locale}.json`, LOCALES_DIR), 'utf8')) as Catalogue;
}

export const catalogues: Record<Locale, Catalogue> = Object.fromEntries(LOCALES.map((l) => [l, load(l)])) as Record<Locale, Catalogue>;

const compiled = new Map<string, IntlMessageFormat>();

/**
 * The message `key` in `locale`, its placeholders filled. A key missing from a locale falls back to English
 * (test/i18n-catalogue.test.ts fails the build on one); a key missing from English is a programming error.
 */
export function t(locale: Locale, key: string, values?: Record<string, PrimitiveType>): string {
  const cacheKey = `${locale}\u0000${key}`;
  let f = compiled.get(cacheKey);
  if (!f) {
    const source = catalogues[locale][key] ?? catalogues.en[key];
    if (source === undefined) throw new Error(`i18n: no message "${key}"`);
    f = new IntlMessageFormat(source, INTL_TAG[locale]);
    compiled.set(cacheKey, f);
  }
  return String(f.format(values));
}

/**
 * The best of the shipped locales for an Accept-Language header (q-values and language-region fallbacks
 * as RFC 9110 § 12.5.4 describes, by `negotiator`); English when nothing matches or there is no header.
 */
export function negotiateLocale(acceptLanguage: string | undefined): Locale {
  if (!acceptLanguage) return DEFAULT_LOCALE;
  const best = new Negotiator({ headers: { 'accept-language': acceptLanguage } }).language([...LOCALES]);
  return isLocale(best) ? best : DEFAULT_LOCALE;
}

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();
function dateTimeFormat(locale: Locale, timeZone: string): Intl.DateTimeFormat {
  const key = `${locale}\u0000${timeZone}`;
  let f = dateTimeFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(INTL_TAG[locale], {
      timeZone,
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    dateTimeFormats.set(key, f);
  }
  return f;
}

/** "Tue, 5 Jan 2027, 10:00–10:30 (Europe/Berlin)": a time span in the reader's language and zone, the zone named. */
export function spanText(start: Date, end: Date, locale: Locale, timeZone: string): string {
  return `${dateTimeFormat(locale, timeZone).formatRange(start, end)} (${timeZone})`;
}

/** "Tue, 5 Jan 2027, 10:00 (Europe/Berlin)": an instant in the reader's language and zone, the zone named. */
export function instantText(at: Date, locale: Locale, timeZone: string): string {
  return `${dateTimeFormat(locale, timeZone).format(at)} (${timeZone})`;
}

/** The reader a text is written for: their language and their zone. */
export interface Reader {
  locale: Locale;
  timeZone: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A mail whose point is one link (verify the address, reset the password): paragraphs, the link, more
 * paragraphs, as plain text and as HTML in the reader's writing direction.
 */
export function linkMail(locale: Locale, before: string[], link: string, after: string[]): { text: string; html: string } {
  const para = (s: string) => `<p>${escapeHtml(s)}</p>`;
  const href = escapeHtml(link);
  return {
    text: `${[...before, link, ...after].join('\n\n')}\n`,
    html:
      `<div dir="${directionOf(locale)}" lang="${locale}">` +
      `${before.map(para).join('')}<p><a href="${href}">${href}</a></p>${after.map(para).join('')}</div>`,
  };
}
