import { Type } from 'typebox';

export const PatientNames = Type.Union([Type.Literal('INITIALS'), Type.Literal('FULL')], {
  description:
    "How a doctor's feed names each patient: `INITIALS` (the default: a feed URL travels, to calendar apps, sync services and " +
    "shared calendars) or `FULL`. A patient's feed names the doctor in full either way.",
});
export type PatientNames = 'INITIALS' | 'FULL';

export const CalendarUrlSchema = Type.Object({
  url: Type.String({
    format: 'uri',
    description:
      "Secret iCalendar feed of the caller's upcoming appointments (GET, no other authentication). Anyone holding it can read the feed: rotate it if it leaked.",
  }),
  patientNames: PatientNames,
});

export const CalendarSettingsBody = Type.Object({ patientNames: PatientNames }, { additionalProperties: false });

/**
 * 256-bit base64url token (43 characters). Anything else cannot be a feed: the route attaches the validation
 * error and answers 404 like an unknown token, so a guess learns nothing from the status.
 */
export const CalendarFeedParams = Type.Object(
  { token: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: 'The secret token from GET /me/calendar' }) },
  { additionalProperties: false },
);
export const FEED_TOKEN = /^[A-Za-z0-9_-]{43}$/;
