// What the visits module asks of a module downstream of it, without importing it: before the patient joins,
// the intake module checks the telehealth consent and the stated location (issue 27). Created per platform
// (p.hooks.visits) and provided by src/modules/index.ts when buildApp builds one.
import { Provider } from '../../platform/hooks.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { VisitPreconditions } from './schemas.ts';

/**
 * Reads what the visit shows of the patient's consent and location, in the caller's transaction. With
 * `enforce` (the patient getting or joining the visit) it throws 409 CONSENT_REQUIRED or LOCATION_REQUIRED
 * once a consent version is published, and holds the consent version FOR SHARE until the transaction ends,
 * so the join it guards commits only while the version it checked is still the current one.
 */
export type VisitGate = (
  ex: Executor,
  visit: { appointmentId: string; patientId: string },
  enforce: boolean,
) => Promise<VisitPreconditions>;

export function createHooks() {
  return { gate: new Provider<VisitGate>('visits.gate') };
}

declare module '../../platform/hooks.ts' {
  interface HookRegistry {
    visits: ReturnType<typeof createHooks>;
  }
}
