import { Type, type TSchema } from 'typebox';
import { AppError } from './errors.ts';
import { parseInstant } from './instant.ts';

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

/** Query properties every list accepts; spread into a list's querystring schema. */
export const pageQueryProperties = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT, description: 'Page size, 1–100' })),
  cursor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 512, pattern: '^[A-Za-z0-9_-]+$', description: 'Opaque cursor from the previous page' }),
  ),
};

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({
    items: Type.Array(item),
    nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Cursor of the next page; null on the last page' }),
  });

export type CursorValue = string | number;

/** A cursor is the sort key of the last row seen, opaque to clients (base64url JSON). */
export function encodeCursor(values: CursorValue[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/**
 * The kinds of value a keyset cursor carries, each checked on the way in so that a forged cursor is a 400,
 * never a failed cast in SQL:
 * - `uuid`: a row id;
 * - `instant`: a timestamp, always as UTC ISO-8601 text with 1 to 6 fractional digits. The one precision rule:
 *   a cursor instant is compared exactly with the key column, so it carries the column's full precision.
 *   Columns stamped at millisecond precision (prescriptions, posts) are keyed with Date#toISOString; columns
 *   with microseconds (users.created_at) are read as text by their repo and keyed with that text;
 * - `int`: a sequence number or rank position (a safe integer);
 * - `number`: a finite number (a search rank);
 * - `text`: a sort key such as a name (at most 256 characters).
 */
export type CursorField = 'uuid' | 'instant' | 'int' | 'number' | 'text';
type FieldValue<F extends CursorField> = F extends 'int' | 'number' ? number : string;
export type CursorValues<F extends readonly CursorField[]> = { -readonly [K in keyof F]: FieldValue<F[K]> };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CURSOR_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

function fieldOk(kind: CursorField, v: unknown): boolean {
  switch (kind) {
    case 'uuid':
      return typeof v === 'string' && UUID.test(v);
    case 'instant':
      return typeof v === 'string' && CURSOR_INSTANT.test(v) && parseInstant(v) !== null;
    case 'int':
      return Number.isSafeInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'text':
      return typeof v === 'string' && v.length <= 256;
  }
}

export interface CursorCodec<F extends readonly CursorField[]> {
  readonly fields: F;
  encode(values: CursorValues<F>): string;
  /** The values of a cursor this codec made; undefined → null (first page); anything else → 400 at `path`. */
  decode(cursor: string | undefined, path?: string): CursorValues<F> | null;
}

/** A typed cursor for one list's sort key, e.g. `cursorCodec('instant', 'uuid')` for (starts_at, id). */
export function cursorCodec<const F extends readonly CursorField[]>(...fields: F): CursorCodec<F> {
  return {
    fields,
    encode: (values) => encodeCursor(values as CursorValue[]),
    decode(cursor, path = '/cursor') {
      if (cursor === undefined) return null;
      const bad = () => new AppError('VALIDATION_FAILED', 'Invalid cursor', [{ path, message: 'is not a cursor from this list' }]);
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
      } catch {
        throw bad();
      }
      if (!Array.isArray(parsed) || parsed.length !== fields.length) throw bad();
      fields.forEach((kind, i) => {
        if (!fieldOk(kind, parsed[i])) throw bad();
      });
      return parsed as CursorValues<F>;
    },
  };
}

/**
 * Turns `limit + 1` rows fetched in keyset order into a page: the extra row only tells that
 * another page exists; the cursor is the key of the last row returned.
 */
export function toPage<R, I>(
  rows: R[],
  limit: number,
  key: (row: R) => CursorValue[],
  map: (row: R) => I,
): { items: I[]; nextCursor: string | null } {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  return {
    items: pageRows.map(map),
    nextCursor: more && pageRows.length ? encodeCursor(key(pageRows[pageRows.length - 1])) : null,
  };
}
