import type { Patient, Practitioner, Reference } from '@medplum/fhirtypes';

/** Telecare's own code systems and extensions; stable identifiers, not resolvable addresses. */
export const SYSTEM = {
  auditAction: 'urn:telecare:audit-action',
  prescription: 'urn:telecare:prescription',
  auditHash: 'urn:telecare:audit-hash',
  medicalHistory: 'urn:telecare:extension:medical-history',
};

/** The FHIR resource a Telecare user is, by role: patients are Patients, doctors Practitioners. */
export function personRef(id: string | null, role: string | null, display?: string): Reference<Patient | Practitioner> {
  const ref: Reference<Patient | Practitioner> = {};
  if (id && role === 'PATIENT') ref.reference = `Patient/${id}`;
  else if (id && role === 'DOCTOR') ref.reference = `Practitioner/${id}`;
  else if (id) ref.identifier = { system: 'urn:telecare:user', value: id };
  if (display) ref.display = display;
  if (!ref.reference && !ref.identifier && !ref.display) ref.display = role === 'SYSTEM' ? 'Telecare command line' : 'anonymous';
  return ref;
}

export const fullName = (p: { firstname: string; lastname: string }) => `${p.firstname} ${p.lastname}`;
