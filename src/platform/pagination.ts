import { Type, type TSchema } from 'typebox';
import { AppError } from './errors.ts';

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

/** Decodes a cursor made by encodeCursor with the given value types; anything else is a 400. */
export function decodeCursor(cursor: string | undefined, types: ('string' | 'number')[]): CursorValue[] | null {
  if (cursor === undefined) return null;
  const bad = () => new AppError('VALIDATION_FAILED', 'Invalid cursor', [{ path: '/cursor', message: 'is not a cursor from this list' }]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(parsed) || parsed.length !== types.length) throw bad();
  parsed.forEach((v, i) => {
    if (typeof v !== types[i]) throw bad();
    if (typeof v === 'string' && v.length > 256) throw bad();
    if (typeof v === 'number' && !Number.isFinite(v)) throw bad();
  });
  return parsed as CursorValue[];
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
