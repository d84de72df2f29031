import type { Platform } from '../../platform/platform.ts';

// Booking rules depend on "now" (past slots, notice, max advance, complete only after start). Tests of
// the 2026 daylight-saving nights run after them, so a test may pin the clock of ONE app instance;
// production never pins it and reads the system clock.
const pinned = new WeakMap<Platform, () => number>();

export function nowMs(p: Platform): number {
  return pinned.get(p)?.() ?? Date.now();
}

/** Test hook: pins (or with null, releases) the clock of one app's platform. */
export function pinClock(p: Platform, at: Date | null): void {
  if (at) pinned.set(p, () => at.getTime());
  else pinned.delete(p);
}
