import type { Platform } from './platform.ts';

// The one "now" of the application: booking rules (past slots, notice, max advance, complete only after
// start), reminders, waitlist offers, visit windows, verification stamps and export timestamps all read it.
// Tests of the 2026 daylight-saving nights run after them, so a test may pin the clock of ONE app instance;
// production never pins it and reads the system clock.
const pinned = new WeakMap<Platform, () => number>();

/** Milliseconds since the epoch on this app's clock. */
export function nowMs(p: Platform): number {
  return pinned.get(p)?.() ?? Date.now();
}

/** This app's "now" as a Date. */
export function now(p: Platform): Date {
  return new Date(nowMs(p));
}

/** Test hook: pins (or with null, releases) the clock of one app's platform. */
export function pinClock(p: Platform, at: Date | null): void {
  if (at) pinned.set(p, () => at.getTime());
  else pinned.delete(p);
}
