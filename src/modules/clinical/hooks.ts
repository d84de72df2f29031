// What the clinical module asks of a module downstream of it, without importing it: where the patient stated
// they were for a visit (issue 27), which the intake module keeps. Created per platform (p.hooks.clinical) and
// provided by src/modules/index.ts when buildApp builds one.
import { Provider } from '../../platform/hooks.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { PatientLocation } from './schemas.ts';

/** The patient's latest location statement for the appointment's visit, in the caller's transaction; null: none. */
export type LatestLocation = (ex: Executor, appointmentId: string) => Promise<PatientLocation>;

export function createHooks() {
  return { patientLocation: new Provider<LatestLocation>('clinical.patientLocation') };
}

declare module '../../platform/hooks.ts' {
  interface HookRegistry {
    clinical: ReturnType<typeof createHooks>;
  }
}
