import type { Practitioner } from '@medplum/fhirtypes';
import type { DoctorPublic } from '../../doctors/index.ts';

/** A doctor's public profile → FHIR Practitioner (no email, no license number, as on the REST API). */
export function toFhirPractitioner(d: DoctorPublic): Practitioner {
  return {
    resourceType: 'Practitioner',
    id: d.id,
    active: true,
    name: [{ use: 'official', family: d.lastname, given: [d.firstname], prefix: ['Dr.'] }],
    qualification: [{ code: { text: d.specialization } }],
  };
}
