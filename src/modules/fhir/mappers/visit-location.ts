// Where a patient stated they were for a video visit (issue 27) → FHIR R4 Basic: R4 has no resource for a
// location attestation, so Basic carries it with an extension of this server's (the appointment, the ISO 3166
// address as an Address, and the exact time; Basic.created is a date only).
import type { Basic } from '@medplum/fhirtypes';

export const VISIT_LOCATION_EXTENSION = 'https://telecare.dev/fhir/StructureDefinition/visit-location';

export interface LocationFacts {
  id: string;
  appointmentId: string;
  patientId: string;
  country: string;
  region: string;
  city: string | null;
  statedAt: Date;
  requestId: string;
}

export function toFhirVisitLocation(l: LocationFacts): Basic {
  const at = l.statedAt.toISOString();
  return {
    resourceType: 'Basic',
    id: l.id,
    identifier: [{ system: 'urn:telecare:request-id', value: l.requestId }],
    code: { text: 'Where the patient stated they were for a video visit' },
    subject: { reference: `Patient/${l.patientId}` },
    author: { reference: `Patient/${l.patientId}` },
    created: at.slice(0, 10),
    extension: [
      {
        url: VISIT_LOCATION_EXTENSION,
        extension: [
          { url: 'appointment', valueReference: { reference: `Appointment/${l.appointmentId}` } },
          { url: 'address', valueAddress: { ...(l.city ? { city: l.city } : {}), state: l.region, country: l.country } },
          { url: 'statedAt', valueDateTime: at },
        ],
      },
    ],
  };
}
