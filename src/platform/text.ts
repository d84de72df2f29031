// Single-line and multi-line text, spelled once for every module's schemas (contract: Conventions).
// A line break inside a name, a title or a medication forged extra lines on a printed prescription and in
// mails; a NUL reached PostgreSQL (which cannot store it) as a database error. The schema refuses both.
import { Type } from 'typebox';

/**
 * C0 and C1 control characters (NUL, TAB, CR, LF, ESC, DEL …). Single-line text also refuses the Unicode
 * line and paragraph separators, which renderers treat as line breaks.
 */
const C0_C1 = '\\u0000-\\u001F\\u007F-\\u009F';
export const SINGLE_LINE_PATTERN = `^[^${C0_C1}\\u2028\\u2029]*$`;
/**
 * Single-line text shown to another person as it was typed: also no bidirectional formatting (LRM, RLM, the
 * embeddings, overrides and isolates), which could make a name read differently from what was sent.
 */
export const PRINTABLE_LINE_PATTERN = `^[^${C0_C1}\\u200E\\u200F\\u2028\\u2029\\u202A-\\u202E\\u2066-\\u2069]*$`;
/** Line breaks (LF, or CR LF) and nothing else of the control characters. */
export const MULTI_LINE_PATTERN = `^(?:[^\\u0000-\\u0009\\u000B-\\u001F\\u007F-\\u009F]|\\r\\n)*$`;

const SINGLE_LINE = new RegExp(SINGLE_LINE_PATTERN, 'u');
const PRINTABLE_LINE = new RegExp(PRINTABLE_LINE_PATTERN, 'u');
const MULTI_LINE = new RegExp(MULTI_LINE_PATTERN, 'u');
export const isSingleLine = (s: string): boolean => SINGLE_LINE.test(s);
export const isPrintableLine = (s: string): boolean => PRINTABLE_LINE.test(s);
export const isMultiLine = (s: string): boolean => MULTI_LINE.test(s);

const opts = (minLength: number, maxLength: number, pattern: string, description?: string) => ({
  minLength,
  maxLength,
  pattern,
  ...(description ? { description } : {}),
});

/** Names, usernames, titles, specializations, medication names, dosages, reasons, search terms, tokens. */
export const SingleLine = (minLength: number, maxLength: number, description?: string) =>
  Type.String(opts(minLength, maxLength, SINGLE_LINE_PATTERN, description));

/** Medical history, bios, notes, message and post bodies: line breaks allowed, no other control character. */
export const MultiLine = (minLength: number, maxLength: number, description?: string) =>
  Type.String(opts(minLength, maxLength, MULTI_LINE_PATTERN, description));

/** Replaces every control character and line separator by U+FFFD: for output that owns exactly one line. */
export const oneLine = (s: string): string => s.replace(new RegExp(`[${C0_C1}\\u2028\\u2029]`, 'gu'), '\uFFFD');
