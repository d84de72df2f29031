// Before the visit: intake questionnaires and answers, telehealth consent, the patient's location,
// and the gate the visits module runs before the patient joins (provided to p.hooks.visits.gate).
// Owns (writes and locks; TABLE_OWNERS in eslint.config.js): intake_questionnaires, intake_questionnaire_versions,
//  intake_responses, consent_heads, consent_versions, consent_acceptances, visit_locations.
// This file is its public entry: what other modules may use of it (lint: import-x/no-restricted-paths).
export { visitGate, latestVisitLocation, readAcceptance, searchAcceptances } from './consent.ts';
export { responsesNewestFirst, acceptancesNewestFirst, locationsNewestFirst, type PageKey, type LocationRow } from './repo.ts';
export { readSavedIntake, searchSavedIntakes, type SavedIntake } from './service.ts';
export { questionnaires, questionnaireVersions, intakeResponses, consentVersions, consentAcceptances, visitLocations } from './tables.ts';
export type { QuestionnaireItem, AnswerValue } from './tables.ts';
