import { Type, type Static } from 'typebox';
import { pageQueryProperties } from '../../platform/pagination.ts';
import { Closed, SingleLine } from '../../platform/schema.ts';
import { AccountStatus, Role } from '../auth/index.ts';

/** Query strings are closed too: a mistyped filter (`?roles=`) must not silently list everyone. */
export const ListUsersQuery = Type.Object(
  {
    role: Type.Optional(Role),
    accountStatus: Type.Optional(AccountStatus),
    q: Type.Optional(SingleLine(1, 100, 'Case-insensitive substring of username, email, first name, last name or "firstname lastname"')),
    ...pageQueryProperties,
  },
  { additionalProperties: false },
);
export type ListUsersQuery = Static<typeof ListUsersQuery>;

// An admin suspends and reactivates; only the holder closes an account (POST /me/close), and nobody reopens one.
export const UpdateUserBody = Closed({ accountStatus: Type.Union([Type.Literal('ACTIVE'), Type.Literal('SUSPENDED')]) });
export type UpdateUserBody = Static<typeof UpdateUserBody>;

export const UserIdParams = Type.Object({ userId: Type.String({ format: 'uuid' }) }, { additionalProperties: false });
