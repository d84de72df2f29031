// The public entry of the intake module: what other modules may use of it (lint: import-x/no-restricted-paths).
// Before the visit (issue 27): intake questionnaires and answers, telehealth consent, the patient's location,
// and the gate the visits module runs before the patient joins (provided to p.hooks.visits.gate).
export { visitGate, latestVisitLocation, readAcceptance, searchAcceptances } from './consent.ts';
export { responsesNewestFirst, acceptancesNewestFirst, locationsNewestFirst, type PageKey, type LocationRow } from './repo.ts';
export { readSavedIntake, searchSavedIntakes, type SavedIntake } from './service.ts';
export { questionnaires, questionnaireVersions, intakeResponses, consentVersions, consentAcceptances, visitLocations } from './tables.ts';
export type { QuestionnaireItem, AnswerValue } from './tables.ts';
