// The one parser of request timestamps. JSON Schema's `date-time` (RFC 3339) admits instants a JS Date
// cannot hold: a leap second (`…T23:59:60Z`) parses to NaN, and `new Date(NaN)` reaching SQL was a 500.
// Ajv's `date-time` format is replaced by this parser (installValidators), so whatever it refuses is
// 400 VALIDATION_FAILED at the schema, and services read the value with `instantOf` instead of Date.parse.

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|([+-])(\d{2}):(\d{2}))$/;

/** Epoch milliseconds of an RFC 3339 timestamp this server can represent, or null. */
export function parseInstant(text: string): number | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  // Years 1–9999: what PostgreSQL's timestamptz and JS both hold without a sign or a year 0.
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59) return null;
  // A leap second has no representation in POSIX time (JS, PostgreSQL): refused rather than guessed.
  if (second > 59) return null;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null; // 31 April, 29 February 2027
  date.setUTCHours(hour, minute, second, m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0);
  let offsetMinutes = 0;
  if (m[9]) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = date.getTime() - offsetMinutes * 60_000;
  const y = new Date(ms).getUTCFullYear();
  return Number.isFinite(ms) && y >= 1 && y <= 9999 ? ms : null;
}

/** True for a timestamp parseInstant accepts: the `date-time` format of both request validators. */
export const isInstant = (text: string): boolean => parseInstant(text) !== null;

/**
 * A timestamp that already passed schema validation, as a Date. Throws if it did not parse, which
 * would mean a route forgot the schema: a programming error, never a client's (the schema answers 400 first).
 */
export function instantOf(text: string): Date {
  const ms = parseInstant(text);
  if (ms === null) throw new TypeError('instantOf: the timestamp was not validated by the route schema');
  return new Date(ms);
}

/** Optional variant for query parameters. */
export const optionalInstant = (text: string | undefined): Date | undefined => (text === undefined ? undefined : instantOf(text));
