// The clinical record: allergies, medications, problems, visit notes, the shipped terminology and the
// allergy check that prescribing runs inside its transaction.
// Owns (writes and locks; TABLE_OWNERS in eslint.config.js): clinical_allergies, clinical_medications,
//  clinical_problems, visit_notes, visit_note_addenda.
// This file is its public entry: what other modules may use of it (lint: import-x/no-restricted-paths).
export { allergyConflicts, allergyConflictError } from './service.ts';
export type { AllergyConflict } from './service.ts';
export {
  CodedInput,
  CreateAllergyBody,
  CreateMedicationBody,
  CreateProblemBody,
  Allergy as AllergySchema,
  Medication as MedicationSchema,
  Problem as ProblemSchema,
} from './schemas.ts';
export type { Allergy, Medication, Problem, Note } from './schemas.ts';
export { toAllergy, toMedication, toProblem, toNote } from './schemas.ts';
export { allergies, medications, problems, visitNotes, addenda, noteAddenda } from './repo.ts';
export { RXNORM_SYSTEM } from './terminology.ts';
export { readEntry, searchEntries, readSignedNote, searchSignedNotes, entryPage, signedNotePage } from './reads.ts';
export type { EntryList, EntryOf, RecordKey, Visit, VisitNote } from './reads.ts';
export { createHooks } from './hooks.ts';
export type { LatestLocation } from './hooks.ts';
export type { PatientLocation } from './schemas.ts';
export { recordFromIntake, copiesOfResponse, type IntakeCopy, type CopyTarget } from './copies.ts';
