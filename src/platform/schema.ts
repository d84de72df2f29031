// Shared TypeBox building blocks, so every module spells the contract's formats the same way.
import { Type, type TSchema } from 'typebox';
import { validation } from './errors.ts';
import { MultiLine, SingleLine } from './text.ts';

export { MultiLine, SingleLine };

export const Uuid = (description?: string) => Type.String({ format: 'uuid', ...(description ? { description } : {}) });
export const Timestamp = (description?: string) =>
  Type.String({ format: 'date-time', description: description ?? 'ISO 8601 UTC timestamp' });
export const DateOnly = (description?: string) =>
  Type.String({ format: 'date', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: description ?? 'Calendar date YYYY-MM-DD' });
/** Text that may hold line breaks; prefer SingleLine/MultiLine (text.ts), which say which one a field is. */
export const Text = MultiLine;
export const Email = () => Type.String({ format: 'email', minLength: 3, maxLength: 254 });
export const Timezone = () =>
  Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_+\\-/]+$', description: 'IANA time zone name, e.g. Europe/Berlin' });
export const Nullable = <T extends TSchema>(s: T) => Type.Union([s, Type.Null()]);
export const IdParams = (name: string) => Type.Object({ [name]: Uuid() }, { additionalProperties: false });

/** A closed object: unknown properties are rejected with 400, never dropped. */
export const Closed = <P extends Parameters<typeof Type.Object>[0]>(props: P, description?: string) =>
  Type.Object(props, { additionalProperties: false, ...(description ? { description } : {}) });

export const iso = (d: Date) => d.toISOString();
export const isoOrNull = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** True for an IANA zone name this runtime knows. */
export function isValidTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return tz !== 'Local';
  } catch {
    return false;
  }
}

/** A date of birth must be a real calendar date, in the past, and not before 1900. */
export function checkDateOfBirth(dob: string, path = '/dateOfBirth'): void {
  const d = new Date(`${dob}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== dob) throw validation(path, 'is not a calendar date');
  if (d.getTime() >= Date.now()) throw validation(path, 'must be in the past');
  if (d.getUTCFullYear() < 1900) throw validation(path, 'must not be before 1900');
}

/** Whole years between a YYYY-MM-DD birth date and today (UTC). */
export function ageOn(dateOfBirth: string, today = new Date()): number {
  const [y, m, d] = dateOfBirth.split('-').map(Number);
  let age = today.getUTCFullYear() - y;
  const beforeBirthday = today.getUTCMonth() + 1 < m || (today.getUTCMonth() + 1 === m && today.getUTCDate() < d);
  if (beforeBirthday) age--;
  return age;
}
