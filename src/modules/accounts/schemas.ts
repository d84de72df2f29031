import { Type, type Static } from 'typebox';
import { Closed, Email, SingleLine, Timestamp } from '../../platform/schema.ts';

const CurrentPassword = Type.String({ minLength: 1, maxLength: 128, description: "The account's current password" });

export const EmailChangeBody = Closed({ newEmail: Email(), password: CurrentPassword });
export type EmailChangeBody = Static<typeof EmailChangeBody>;

export const EmailConfirmBody = Closed({ token: SingleLine(1, 512, 'The token of the link mailed to the new address') });

export const CloseBody = Closed({ password: CurrentPassword });

export const ClosureTerms = Type.Object({
  allowed: Type.Boolean({ description: 'Whether the caller may close their account now' }),
  refusal: Type.Optional(
    Type.Union([Type.Literal('ADMIN'), Type.Literal('OPEN_APPOINTMENTS')], {
      description:
        '`ADMIN`: an admin account is not closed by its holder (another admin suspends it); `OPEN_APPOINTMENTS`: a doctor ' +
        'first cancels or completes their open appointments',
    }),
  ),
  openAppointments: Type.Integer({
    minimum: 0,
    description: "The caller's open (pending or confirmed, not yet ended) appointments: a patient's are cancelled by closing",
  }),
  retentionYears: Type.Integer({ minimum: 1, description: 'Years the record is kept after closing (RECORD_RETENTION_YEARS)' }),
  retainUntil: Timestamp('Until when the record would be kept if the account closed now'),
});
