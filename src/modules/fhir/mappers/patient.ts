import type { Patient as FhirPatient } from '@medplum/fhirtypes';
import type { Patient } from '../../patients/index.ts';
import type { User } from '../../auth/index.ts';
import { SYSTEM } from './common.ts';

/** Telecare patient profile → FHIR Patient. The free-text medical history travels as an extension. */
export function toFhirPatient(p: Patient): FhirPatient {
  const user = p.user as User;
  return {
    resourceType: 'Patient',
    id: p.id,
    meta: { lastUpdated: user.updatedAt },
    active: user.accountStatus === 'ACTIVE',
    name: [{ use: 'official', family: user.lastname, given: [user.firstname] }],
    telecom: [{ system: 'email', value: user.email }],
    gender: p.gender as FhirPatient['gender'],
    birthDate: p.dateOfBirth,
    ...(p.medicalHistory ? { extension: [{ url: SYSTEM.medicalHistory, valueString: p.medicalHistory }] } : {}),
  };
}
