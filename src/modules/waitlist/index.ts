// Waitlists: patients waiting for a fully booked doctor, and the held offers made when a time frees up or
// availability opens (expired, declined and passed on by its worker).
// Owns (writes and locks; TABLE_OWNERS in eslint.config.js): waitlist_entries, waitlist_offers.
// This file is its public entry: what other modules may use of it (lint: import-x/no-restricted-paths).
export { offerFreedTime, offerOpenedAvailability } from './offers.ts';
export { OfferSchema } from './schemas.ts';
