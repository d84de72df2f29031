// The patient's acceptance of a telehealth consent version (issue 27) → FHIR R4 Consent. Served by id, search and
// $everything (fhir/intake.ts), and in the export.
import type { Consent } from '@medplum/fhirtypes';

export interface AcceptanceFacts {
  id: string;
  patientId: string;
  version: number;
  acceptedAt: Date;
  requestId: string;
}

/**
 * Scope and category from FHIR R4's own code systems: consentscope `treatment`, and LOINC 59284-0 "Patient
 * Consent" (the category example the R4 Consent resource lists); the policy is the consent text's version.
 */
export function toFhirConsent(a: AcceptanceFacts, base = ''): Consent {
  return {
    resourceType: 'Consent',
    id: a.id,
    status: 'active',
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'treatment', display: 'Treatment' }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0', display: 'Patient Consent' }] }],
    patient: { reference: `Patient/${a.patientId}` },
    dateTime: a.acceptedAt.toISOString(),
    policy: [{ uri: `${base}/api/v1/consents/telehealth#version-${a.version}` }],
    provision: { type: 'permit' },
    identifier: [{ system: 'urn:telecare:request-id', value: a.requestId }],
  };
}
