// The portal's language: the same catalogues as the server's mails (locales/*.json at the repository's top,
// ICU MessageFormat through intl-messageformat). English is in the first bundle; another language is loaded
// when it is chosen. The page follows the language: <html lang> and, for Arabic, dir="rtl".
import type { ComponentChildren } from 'preact';
import { IntlMessageFormat } from 'intl-messageformat';
import en from '../../locales/en.json';
import { PSEUDO_LOCALE, pseudoMessage } from './pseudo';

export const LOCALES = ['en', 'de', 'es', 'ar'] as const;
export type Locale = (typeof LOCALES)[number];
/** Each language named in itself, as a language menu shows them. */
export const LANGUAGE_NAMES: Record<Locale, string> = { en: 'English', de: 'Deutsch', es: 'Español', ar: 'العربية' };

type Catalogue = Record<string, string>;
const loaders: Record<Exclude<Locale, 'en'>, () => Promise<{ default: Catalogue }>> = {
  de: () => import('../../locales/de.json'),
  es: () => import('../../locales/es.json'),
  ar: () => import('../../locales/ar.json'),
};
const catalogues: Partial<Record<Locale, Catalogue>> = { en };
const INTL_TAG: Record<Locale, string> = { en: 'en-GB', de: 'de-DE', es: 'es-ES', ar: 'ar' };

let current: Locale = 'en';
/**
 * The pseudo-locale (pseudo.ts) instead of whatever the account speaks: for development and the browser journeys
 * only, never offered in the language menu. It is switched on in this browser by the setting
 * localStorage['telecare.pseudoLocale'] = 'en-XA' (read once, at start), and by `?pseudo` in a development build.
 */
const pseudo = (() => {
  try {
    if ((import.meta as { env?: { DEV?: boolean } }).env?.DEV && new URLSearchParams(location.search).has('pseudo'))
      localStorage.setItem('telecare.pseudoLocale', PSEUDO_LOCALE);
    return localStorage.getItem('telecare.pseudoLocale') === PSEUDO_LOCALE;
  } catch {
    return false;
  }
})();
const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
let zone = browserZone;
const listeners = new Set<() => void>();
const compiled = new Map<string, IntlMessageFormat>();

export const isLocale = (s: unknown): s is Locale => typeof s === 'string' && (LOCALES as readonly string[]).includes(s);

/** The shipped locale that best fits the browser's languages (exact language first, in the browser's order). */
export function browserLocale(): Locale {
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = tag.toLowerCase().split('-')[0];
    if (isLocale(base)) return base;
  }
  return 'en';
}

export const currentLocale = () => current;
/** The tag Intl formats dates and numbers with in the portal's language. */
export const intlTag = () => INTL_TAG[current];
/** The zone times are shown in: the account's, else the browser's. */
export const displayZone = () => zone;
export function setZone(timeZone: string | null | undefined): void {
  zone = timeZone || browserZone;
}

export function onLocaleChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Switches the portal's language: loads its catalogue if needed, then sets <html lang/dir> and re-renders. */
export async function setLocale(locale: Locale): Promise<void> {
  if (!catalogues[locale] && locale !== 'en') catalogues[locale] = (await loaders[locale]()).default;
  current = pseudo ? 'en' : locale;
  document.documentElement.lang = pseudo ? PSEUDO_LOCALE : locale;
  document.documentElement.dir = current === 'ar' ? 'rtl' : 'ltr';
  for (const fn of listeners) fn();
}

/** The compiled message `key` in the portal's language (English where a translation is missing), cached. */
function formatter(key: string): IntlMessageFormat {
  const cacheKey = `${current}\u0000${key}`;
  let f = compiled.get(cacheKey);
  if (!f) {
    const source = catalogues[current]?.[key] ?? (en as Catalogue)[key] ?? key;
    f = new IntlMessageFormat(pseudo ? pseudoMessage(source) : source, INTL_TAG[current]);
    compiled.set(cacheKey, f);
  }
  return f;
}

/** The message `key` in the portal's language, placeholders filled; English where a translation is missing. */
export function t(key: string, values?: Record<string, string | number>): string {
  const f = formatter(key);
  return String(f.format(values));
}

/**
 * A message with markup: its tags (`<b>…</b>`, `<link>…</link>`) filled by the functions of `values` that wrap
 * their text in an element, so a translation moves the emphasised words or the link with the sentence.
 */
export function tRich(
  key: string,
  values: Record<string, ComponentChildren | ((chunks: ComponentChildren[]) => ComponentChildren)>,
): ComponentChildren {
  const f = formatter(key);
  return f.format<ComponentChildren>(values as never) as ComponentChildren;
}
