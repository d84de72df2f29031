import { Type } from 'typebox';

export const CalendarUrlSchema = Type.Object({
  url: Type.String({
    format: 'uri',
    description:
      "Secret iCalendar feed of the caller's upcoming appointments (GET, no other authentication). Anyone holding it can read the feed: rotate it if it leaked.",
  }),
});

/** 256-bit base64url token (43 characters); anything else cannot be a feed and answers 404 like an unknown one. */
export const CalendarFeedParams = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 128, description: 'The secret token from GET /me/calendar' }) },
  { additionalProperties: false },
);
export const FEED_TOKEN = /^[A-Za-z0-9_-]{43}$/;
