// FHIR R4: the record as resources (read, search, $everything, the CapabilityStatement), one mapper per
// resource, every read through the clinical access point.
// Owns no table.
// This file is its public entry: what other modules may use of it (lint: import-x/no-restricted-paths).
export { toFhirAppointment } from './mappers/appointment.ts';
export { toFhirAuditEvent } from './mappers/audit-event.ts';
export { fullName } from './mappers/common.ts';
export { toFhirCommunication } from './mappers/communication.ts';
export { toFhirDocumentReference } from './mappers/document-reference.ts';
export { toFhirMedicationRequests } from './mappers/medication-request.ts';
export { toFhirPatient } from './mappers/patient.ts';
export { toFhirPractitioner } from './mappers/practitioner.ts';
export {
  toFhirAllergyIntolerance,
  toFhirMedicationStatement,
  toFhirCondition,
  toFhirEncounter,
  toFhirComposition,
} from './mappers/clinical.ts';
export { toFhirVisitLocation } from './mappers/visit-location.ts';
export { toFhirSavedIntake, toFhirAcceptance } from './intake.ts';
