import { Type, type Static, type TProperties } from 'typebox';
import { Closed, DateOnly, Nullable, Timestamp, Uuid, iso, isoOrNull, SingleLine, MultiLine } from '../../platform/schema.ts';
import { pageQueryProperties } from '../../platform/pagination.ts';
import type { AddendumRow, AllergyRow, MedicationRow, NoteRow, ProblemRow } from './repo.ts';

export const CodedInput = Closed(
  {
    system: Type.Optional(
      SingleLine(1, 200, 'The code system; only the shipped terminology is known: http://www.nlm.nih.gov/research/umls/rxnorm'),
    ),
    code: Type.Optional(SingleLine(1, 50, 'A code of the shipped terminology (RxNorm RxCUI); omit for free text')),
    display: SingleLine(1, 200, 'The name as shown; alone, it is free text'),
  },
  'A coded value {system?, code?, display}: system/code from GET /terminology/substances, or display alone for free text',
);
export type CodedInput = Static<typeof CodedInput>;

export const Coded = Type.Object({
  system: Type.Optional(Type.String()),
  code: Type.Optional(Type.String()),
  display: Type.String(),
});
export type Coded = Static<typeof Coded>;

const EnteredInError = Nullable(
  Type.Object(
    { by: Uuid('Who marked the entry entered-in-error'), at: Timestamp('When') },
    { description: 'Set once the entry is entered-in-error' },
  ),
);

export const AllergyCategory = Type.Union([
  Type.Literal('medication'),
  Type.Literal('food'),
  Type.Literal('environment'),
  Type.Literal('other'),
]);
export const Criticality = Type.Union([Type.Literal('low'), Type.Literal('high'), Type.Literal('unable-to-assess')]);
export const AllergyStatus = Type.Union([Type.Literal('active'), Type.Literal('inactive'), Type.Literal('entered-in-error')]);
export const Verification = Type.Union([Type.Literal('confirmed'), Type.Literal('unconfirmed')]);
export const MedicationStatus = Type.Union([Type.Literal('active'), Type.Literal('stopped'), Type.Literal('entered-in-error')]);
export const ClinicalStatus = Type.Union([Type.Literal('active'), Type.Literal('resolved'), Type.Literal('entered-in-error')]);

export const EntrySource = Nullable(
  Type.Object(
    {
      responseId: Uuid("The intake response (its id is the appointment's; FHIR QuestionnaireResponse/{responseId})"),
      linkId: Type.String({ description: 'The item whose answer was copied' }),
    },
    { description: 'Set when a doctor copied the entry from an intake answer (POST /appointments/{id}/intake/answers/{linkId}/copy)' },
  ),
);

/** What every entry of the record's lists carries besides its own fields: who recorded and changed it, and when. */
const entry = <P extends TProperties>(own: P) =>
  Type.Object({
    id: Uuid(),
    patientId: Uuid(),
    ...own,
    recordedBy: Uuid(),
    recordedAt: Timestamp(),
    updatedBy: Uuid(),
    updatedAt: Timestamp(),
    enteredInError: EnteredInError,
    source: EntrySource,
  });

export const Allergy = entry({
  substance: Coded,
  category: AllergyCategory,
  criticality: Criticality,
  reaction: Nullable(Type.String()),
  status: AllergyStatus,
  verification: Verification,
});
export type Allergy = Static<typeof Allergy>;

export const CreateAllergyBody = Closed({
  substance: CodedInput,
  category: AllergyCategory,
  criticality: Criticality,
  reaction: Type.Optional(SingleLine(1, 500, 'What happens, e.g. "hives"')),
  status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('inactive')], { default: 'active' })),
  verification: Type.Optional(Verification),
});
export type CreateAllergyBody = Static<typeof CreateAllergyBody>;

export const PatchAllergyBody = Closed({
  category: Type.Optional(AllergyCategory),
  criticality: Type.Optional(Criticality),
  reaction: Type.Optional(Nullable(SingleLine(1, 500))),
  status: Type.Optional(AllergyStatus),
  verification: Type.Optional(Verification),
});
export type PatchAllergyBody = Static<typeof PatchAllergyBody>;

export const Medication = entry({
  medication: Coded,
  dosage: Nullable(Type.String()),
  status: MedicationStatus,
  verification: Verification,
  since: Nullable(Type.String({ format: 'date' })),
});
export type Medication = Static<typeof Medication>;

export const CreateMedicationBody = Closed({
  medication: CodedInput,
  dosage: Type.Optional(SingleLine(1, 200, 'e.g. "10 mg once daily"')),
  status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('stopped')], { default: 'active' })),
  verification: Type.Optional(Verification),
  since: Type.Optional(DateOnly('Taken since')),
});
export type CreateMedicationBody = Static<typeof CreateMedicationBody>;

export const PatchMedicationBody = Closed({
  dosage: Type.Optional(Nullable(SingleLine(1, 200))),
  status: Type.Optional(MedicationStatus),
  verification: Type.Optional(Verification),
  since: Type.Optional(Nullable(DateOnly())),
});
export type PatchMedicationBody = Static<typeof PatchMedicationBody>;

export const Problem = entry({
  condition: Coded,
  clinicalStatus: ClinicalStatus,
  onset: Nullable(Type.String({ format: 'date' })),
  note: Nullable(Type.String()),
});
export type Problem = Static<typeof Problem>;

export const CreateProblemBody = Closed({
  condition: CodedInput,
  clinicalStatus: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('resolved')], { default: 'active' })),
  onset: Type.Optional(DateOnly('When it began')),
  note: Type.Optional(MultiLine(1, 2000)),
});
export type CreateProblemBody = Static<typeof CreateProblemBody>;

export const PatchProblemBody = Closed({
  clinicalStatus: Type.Optional(ClinicalStatus),
  onset: Type.Optional(Nullable(DateOnly())),
  note: Type.Optional(Nullable(MultiLine(1, 2000))),
});
export type PatchProblemBody = Static<typeof PatchProblemBody>;

export const NoteStatus = Type.Union([Type.Literal('DRAFT'), Type.Literal('SIGNED')]);
const SoapText = (what: string) => Type.Optional(Nullable(MultiLine(0, 20000, what)));

export const PutNoteBody = Closed({
  subjective: SoapText('S: what the patient reports'),
  objective: SoapText('O: what was observed'),
  assessment: SoapText('A: the assessment'),
  plan: SoapText('P: the plan'),
});
export type PutNoteBody = Static<typeof PutNoteBody>;

export const AddendumBody = Closed({ text: MultiLine(1, 10000, 'The addendum') });

export const Addendum = Type.Object({ id: Uuid(), text: Type.String(), createdAt: Timestamp() });

export const Note = Type.Object({
  appointmentId: Uuid(),
  patientId: Uuid(),
  doctorId: Uuid(),
  status: NoteStatus,
  subjective: Nullable(Type.String()),
  objective: Nullable(Type.String()),
  assessment: Nullable(Type.String()),
  plan: Nullable(Type.String()),
  patientLocation: Nullable(
    Type.Object(
      {
        country: Type.String({ description: 'ISO 3166-1 alpha-2' }),
        region: Type.String({ description: 'ISO 3166-2' }),
        city: Nullable(Type.String()),
        statedAt: Timestamp(),
      },
      {
        description:
          'Where the patient stated they were for the visit (POST /appointments/{id}/visit/location): on a draft the latest statement, ' +
          'on a signed note the one that was latest when it was signed (kept with it); null when none was stated',
      },
    ),
  ),
  signedAt: Nullable(Timestamp()),
  addenda: Type.Array(Addendum),
  createdAt: Timestamp(),
  updatedAt: Timestamp(),
});
export type Note = Static<typeof Note>;

export const NoteTodo = Type.Object({
  appointmentId: Uuid(),
  patientId: Uuid(),
  startsAt: Timestamp(),
  noteStatus: Type.Union([Type.Literal('MISSING'), Type.Literal('DRAFT')]),
});

export const ListQuery = Type.Object({ ...pageQueryProperties }, { additionalProperties: false });
export type ListQuery = Static<typeof ListQuery>;

export const PatientParams = Type.Object({ patientId: Uuid() }, { additionalProperties: false });
export const EntryParams = Type.Object({ patientId: Uuid(), id: Uuid() }, { additionalProperties: false });

export const SubstanceQuery = Type.Object(
  { q: SingleLine(1, 100, 'Prefix of an ingredient or brand name word, 1–100 characters') },
  { additionalProperties: false },
);
export const Substance = Type.Object({
  system: Type.String(),
  code: Type.String(),
  display: Type.String(),
  classes: Type.Array(Type.String()),
});

const coded = (system: string | null, code: string | null, display: string): Coded =>
  system && code ? { system, code, display } : { display };
const eie = (by: string | null, at: Date | null) => (by && at ? { by, at: iso(at) } : null);

/** The fields every entry shares, from any of the three rows. */
const entryOf = (r: AllergyRow | MedicationRow | ProblemRow) => ({
  id: r.id,
  patientId: r.patientId,
  recordedBy: r.recordedBy,
  recordedAt: iso(r.recordedAt),
  updatedBy: r.updatedBy,
  updatedAt: iso(r.updatedAt),
  enteredInError: eie(r.enteredInErrorBy, r.enteredInErrorAt),
  source: r.sourceResponseId && r.sourceLinkId ? { responseId: r.sourceResponseId, linkId: r.sourceLinkId } : null,
});

export function toAllergy(r: AllergyRow): Allergy {
  return {
    ...entryOf(r),
    substance: coded(r.substanceSystem, r.substanceCode, r.substanceDisplay),
    category: r.category,
    criticality: r.criticality,
    reaction: r.reaction,
    status: r.status,
    verification: r.verification,
  };
}

export function toMedication(r: MedicationRow): Medication {
  return {
    ...entryOf(r),
    medication: coded(r.medicationSystem, r.medicationCode, r.medicationDisplay),
    dosage: r.dosage,
    status: r.status,
    verification: r.verification,
    since: r.since,
  };
}

export function toProblem(r: ProblemRow): Problem {
  return {
    ...entryOf(r),
    condition: coded(r.conditionSystem, r.conditionCode, r.conditionDisplay),
    clinicalStatus: r.clinicalStatus,
    onset: r.onset,
    note: r.note,
  };
}

/** Where the patient said they were; `latest` (their latest statement) stands in until a signature freezes one. */
export type PatientLocation = Note['patientLocation'];

export function toNote(r: NoteRow, addenda: AddendumRow[], latest: PatientLocation = null): Note {
  const frozen: PatientLocation =
    r.locationCountry && r.locationRegion && r.locationStatedAt
      ? { country: r.locationCountry, region: r.locationRegion, city: r.locationCity, statedAt: iso(r.locationStatedAt) }
      : null;
  return {
    appointmentId: r.appointmentId,
    patientId: r.patientId,
    doctorId: r.doctorId,
    status: r.status,
    subjective: r.subjective,
    objective: r.objective,
    assessment: r.assessment,
    plan: r.plan,
    patientLocation: r.status === 'SIGNED' ? frozen : latest,
    signedAt: isoOrNull(r.signedAt),
    addenda: addenda.map((a) => ({ id: a.id, text: a.text, createdAt: iso(a.createdAt) })),
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  };
}
