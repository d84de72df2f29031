// FHIR R4 date search (http://hl7.org/fhir/R4/search.html#date): a search value is a range given by its
// precision (2026 is the whole year, 2026-03 the month, 2026-03-04 the day, …T10:30Z the minute), the
// target element is a range too (an instant its millisecond, a date its day, a Period its start to its end,
// an open end reaching to infinity), and the prefix says how the two ranges must relate. Every condition is
// SQL on the target's two bounds, added to the one query a search already makes.
import { sql, type SQL } from 'drizzle-orm';
import { AppError } from '../../platform/errors.ts';

export const DATE_PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb'] as const;
export type DatePrefix = (typeof DATE_PREFIXES)[number];

/** A parsed search value: its prefix and the half-open range [start, end) its precision gives it. */
export interface DateBound {
  prefix: DatePrefix;
  start: string;
  end: string;
}

/** What the schema lets through: a prefix, then a date or dateTime of any precision (checked again here). */
export const DATE_VALUE =
  '^(eq|ne|gt|lt|ge|le|sa|eb)?\\d{4}(-\\d{2}(-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?(Z|[+-]\\d{2}:\\d{2}))?)?)?$';
const PARTS =
  /^(eq|ne|gt|lt|ge|le|sa|eb)?(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2}))?)?)?$/;

/** An instant as PostgreSQL reads it; past year 9999 (the end of a search in 9999) it is infinity. */
function iso(ms: number): string {
  const d = new Date(ms);
  return d.getUTCFullYear() > 9999 ? 'infinity' : d.toISOString();
}

/** Milliseconds since the epoch of a UTC calendar time (years below 100 are years, not 19xx). */
function utc(y: number, mo: number, d = 1, h = 0, mi = 0, s = 0, ms = 0): number {
  const t = new Date(0);
  t.setUTCFullYear(y, mo, d);
  t.setUTCHours(h, mi, s, ms);
  return t.getTime();
}

/**
 * Parses one value of a date parameter (`name` for the error's path). A value without a time is a UTC
 * calendar range; a time needs its zone (R4: "If hours and minutes are specified, a time zone SHALL be
 * populated"). Anything else — a month 13, 30 February, a leap second, year 0 — is 400 VALIDATION_FAILED.
 */
export function parseDateValue(name: string, raw: string): DateBound {
  const bad = (why: string) => new AppError('VALIDATION_FAILED', `Invalid ${name}: ${why}`, [{ path: `/${name}`, message: why }]);
  const m = PARTS.exec(raw);
  if (!m) throw bad('is not a FHIR date search value (prefix eq|ne|gt|lt|ge|le|sa|eb, then YYYY[-MM[-DD[Thh:mm[:ss[.sss]](Z|±hh:mm)]]])');
  const [, prefix = 'eq', ys, mos, ds, hs, mis, ss, frac, zone] = m;
  const y = Number(ys);
  const mo = mos === undefined ? 0 : Number(mos) - 1;
  const d = ds === undefined ? 1 : Number(ds);
  if (y < 1) throw bad('has no year 0');
  if (mo < 0 || mo > 11) throw bad('has no such month');
  const day = new Date(utc(y, mo, d));
  if (d < 1 || day.getUTCMonth() !== mo || day.getUTCDate() !== d) throw bad('has no such day');
  let start: number;
  let end: number;
  if (hs === undefined) {
    start = utc(y, mo, d);
    end = ds !== undefined ? utc(y, mo, d + 1) : mos !== undefined ? utc(y, mo + 1, 1) : utc(y + 1, 0, 1);
  } else {
    const [h, mi, s] = [Number(hs), Number(mis), ss === undefined ? 0 : Number(ss)];
    if (h > 23 || mi > 59 || s > 59) throw bad('has no such time');
    let offset = 0;
    if (zone !== 'Z') {
      const [zh, zm] = zone.slice(1).split(':').map(Number);
      if (zh > 14 || zm > 59) throw bad('has no such time zone offset');
      offset = (zone[0] === '-' ? -1 : 1) * (zh * 60 + zm) * 60_000;
    }
    const ms = frac === undefined ? 0 : Number(frac.padEnd(3, '0'));
    start = utc(y, mo, d, h, mi, s, ms) - offset;
    // The precision given: a minute, a second, or 100, 10 or 1 milliseconds.
    end = start + (ss === undefined ? 60_000 : frac === undefined ? 1000 : 10 ** (3 - frac.length));
  }
  return { prefix: prefix as DatePrefix, start: iso(start), end: iso(end) };
}

/** The values of a (possibly repeated) date parameter; each is a condition, and all of them must hold. */
export function parseDateParam(name: string, value: string | string[] | undefined): DateBound[] {
  return (value === undefined ? [] : Array.isArray(value) ? value : [value]).map((v) => parseDateValue(name, v));
}

/** A target element as a range of timestamptz expressions: [start, end); a NULL start matches nothing. */
export interface DateTarget {
  start: SQL;
  end: SQL;
}

/** An instant stored to the millisecond: the range of that millisecond. */
export const instantTarget = (col: unknown): DateTarget => ({
  start: sql`${col}`,
  end: sql`(${col} + interval '1 millisecond')`,
});

/** A calendar date (no time zone; read as UTC): the range of that day. */
export const dayTarget = (col: unknown): DateTarget => ({
  start: sql`(${col}::timestamp AT TIME ZONE 'UTC')`,
  end: sql`((${col} + 1)::timestamp AT TIME ZONE 'UTC')`,
});

/**
 * The condition R4 gives each prefix, with the search range [s0, s1) and the target range [t0, t1):
 * eq the search range contains the target; ne it does not; gt/lt the range above/below the search value
 * overlaps the target; ge/le that, or eq; sa/eb the target lies wholly after/before the search range.
 */
export function dateCondition(t: DateTarget, b: DateBound): SQL {
  // A target without a value (no onset, no start) matches no date search, whatever its end is.
  return sql`(${t.start} IS NOT NULL AND ${relation(t, b)})`;
}

function relation(t: DateTarget, b: DateBound): SQL {
  const s0 = sql`${b.start}::timestamptz`;
  const s1 = sql`${b.end}::timestamptz`;
  const within = sql`(${t.start} >= ${s0} AND ${t.end} <= ${s1})`;
  switch (b.prefix) {
    case 'eq':
      return within;
    case 'ne':
      return sql`NOT ${within}`;
    case 'gt':
      return sql`(${t.end} > ${s1})`;
    case 'lt':
      return sql`(${t.start} < ${s0})`;
    case 'ge':
      return sql`(${t.end} > ${s1} OR ${within})`;
    case 'le':
      return sql`(${t.start} < ${s0} OR ${within})`;
    case 'sa':
      return sql`(${t.start} >= ${s1})`;
    case 'eb':
      return sql`(${t.end} <= ${s0})`;
  }
}

/** A Period that starts on a calendar date and has no end (ongoing): from that day to infinity. */
export const openFromDayTarget = (col: unknown): DateTarget => ({
  start: dayTarget(col).start,
  end: sql`'infinity'::timestamptz`,
});

/** All the bounds on one target, AND-ed; undefined when there are none. */
export function dateConditions(t: DateTarget, bounds: DateBound[]): SQL | undefined {
  if (!bounds.length) return undefined;
  return sql.join(
    bounds.map((b) => dateCondition(t, b)),
    sql` AND `,
  );
}
