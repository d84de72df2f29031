// The public entry of the waitlist module: what other modules may use of it (lint: import-x/no-restricted-paths).
// Waitlist offers made when a time frees up or availability opens.
export { offerFreedTime, offerOpenedAvailability } from './offers.ts';
export { OfferSchema } from './schemas.ts';
