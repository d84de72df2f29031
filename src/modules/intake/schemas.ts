import { Type, type Static } from 'typebox';
import { Closed, IdParams, MultiLine, Nullable, SingleLine, Timestamp, Uuid } from '../../platform/schema.ts';
import {
  AllergySchema,
  CodedInput,
  CreateAllergyBody,
  CreateMedicationBody,
  CreateProblemBody,
  MedicationSchema,
  ProblemSchema,
} from '../clinical/index.ts';

// ---------- questionnaires ----------

export const ITEM_TYPES = ['string', 'text', 'boolean', 'choice', 'date', 'integer'] as const;
export const MAX_ITEMS = 100;

const LinkId = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
  description:
    "The item's stable key within the questionnaire (letters, digits, `.`, `_`, `-`); answers to the same linkId prefill later forms",
});
const ItemType = Type.Union(
  [
    Type.Literal('string'),
    Type.Literal('text'),
    Type.Literal('boolean'),
    Type.Literal('choice'),
    Type.Literal('date'),
    Type.Literal('integer'),
  ],
  { description: 'string: one line; text: several lines; boolean; choice: one of `options`; date: YYYY-MM-DD; integer' },
);

export const ItemInput = Closed({
  linkId: LinkId,
  text: SingleLine(1, 500, 'The question as the patient reads it'),
  type: ItemType,
  required: Type.Optional(Type.Boolean({ description: 'Default false' })),
  options: Type.Optional(
    Type.Array(SingleLine(1, 200), { minItems: 1, maxItems: 50, description: 'Required for `choice` (distinct), not allowed otherwise' }),
  ),
});
export type ItemInput = Static<typeof ItemInput>;

export const QuestionnaireBody = Closed({
  title: SingleLine(1, 200),
  items: Type.Array(ItemInput, { maxItems: MAX_ITEMS, description: `At most ${MAX_ITEMS} items; linkIds unique` }),
});
export type QuestionnaireBody = Static<typeof QuestionnaireBody>;

export const ItemSchema = Type.Object({
  linkId: Type.String(),
  text: Type.String(),
  type: ItemType,
  required: Type.Boolean(),
  options: Type.Optional(Type.Array(Type.String())),
});

export const QuestionnaireSchema = Type.Object({
  id: Uuid('Stable across versions'),
  title: Type.String(),
  version: Type.Integer({ minimum: 1, description: 'Each PUT makes a new version; a version is never changed' }),
  items: Type.Array(ItemSchema),
  createdAt: Timestamp('When this version was made'),
});
export type Questionnaire = Static<typeof QuestionnaireSchema>;

export const QuestionnaireParams = IdParams('id');

// ---------- answers ----------

const AnswerValue = Type.Union([MultiLine(0, 10000), Type.Integer(), Type.Boolean()], {
  description: 'string, text, choice and date items: a string (date: YYYY-MM-DD; choice: one of the options); integer; boolean',
});

export const AnswerSchema = Closed({ linkId: LinkId, value: AnswerValue });
export type Answer = Static<typeof AnswerSchema>;

export const IntakePutBody = Closed({
  answers: Type.Array(AnswerSchema, {
    maxItems: MAX_ITEMS,
    description: 'Every answer so far (replaces those saved); an item left out, or answered with an empty string, is unanswered',
  }),
});
export type IntakePutBody = Static<typeof IntakePutBody>;

export const CopySchema = Type.Object({
  linkId: Type.String(),
  into: Type.Union([Type.Literal('allergy'), Type.Literal('medication'), Type.Literal('problem')]),
  entryId: Uuid('The entry of the clinical record made from the answer (GET /patients/{patientId}/<allergies|medications|problems>)'),
  copiedBy: Uuid(),
  copiedAt: Timestamp(),
});
export type Copy = Static<typeof CopySchema>;

export const IntakeSchema = Type.Object({
  appointmentId: Uuid(),
  patientId: Uuid(),
  questionnaire: QuestionnaireSchema,
  copies: Type.Array(CopySchema, {
    description: "The answers a doctor copied into the patient's clinical record, and the entries they made (that the caller may see)",
  }),
  response: Type.Object({
    status: Type.Union([Type.Literal('in-progress'), Type.Literal('completed')]),
    answers: Type.Array(Type.Object({ linkId: Type.String(), value: AnswerValue })),
    prefilled: Type.Array(Type.String(), {
      description: "To the patient: the linkIds whose value comes from the patient's earlier answers (not saved here yet)",
    }),
    submittedAt: Type.Optional(Timestamp()),
  }),
});
export type Intake = Static<typeof IntakeSchema>;

export const AppointmentParams = IdParams('id');

// ---------- copying an answer into the clinical record ----------

export const AnswerParams = Type.Object({ id: Uuid(), linkId: LinkId }, { additionalProperties: false });

const FROM_ANSWER =
  'A code the doctor picked from GET /terminology/substances, or a display alone (free text). Omitted: the answer itself as free text, ' +
  'when it is a single line of at most 200 characters (else 400).';
const { substance: _substance, ...allergyFields } = CreateAllergyBody.properties;
const { medication: _medication, ...medicationFields } = CreateMedicationBody.properties;
const { condition: _condition, ...problemFields } = CreateProblemBody.properties;

export const CopyAnswerBody = Type.Union(
  [
    Closed(
      { into: Type.Literal('allergy'), substance: Type.Optional(CodedInput), ...allergyFields },
      `An allergy. substance: ${FROM_ANSWER}`,
    ),
    Closed(
      { into: Type.Literal('medication'), medication: Type.Optional(CodedInput), ...medicationFields },
      `A medication. medication: ${FROM_ANSWER}`,
    ),
    Closed(
      { into: Type.Literal('problem'), condition: Type.Optional(CodedInput), ...problemFields },
      `A problem. condition: free text only (the server ships no condition terminology; a code answers 400). ${FROM_ANSWER}`,
    ),
  ],
  {
    description:
      'Which list of the clinical record the answer goes into, and the fields of that entry (as POST /patients/{patientId}/<list>)',
  },
);
export type CopyAnswerBody = Static<typeof CopyAnswerBody>;

export const CopiedSchema = Type.Object({
  copy: CopySchema,
  entry: Type.Union([AllergySchema, MedicationSchema, ProblemSchema], { description: 'The new entry (its `source` names the answer)' }),
});
export type Copied = Static<typeof CopiedSchema>;

// ---------- telehealth consent ----------

export const ConsentVersionSchema = Type.Object({
  version: Type.Integer({ minimum: 1 }),
  text: Type.String({ description: 'Markdown, shown as text (never as HTML)' }),
  publishedAt: Timestamp(),
});
export type ConsentVersion = Static<typeof ConsentVersionSchema>;

export const PublishConsentBody = Closed({ text: MultiLine(1, 20000, 'The consent text, Markdown') });

export const AcceptConsentBody = Closed({
  type: Type.Literal('telehealth'),
  version: Type.Integer({ minimum: 1, description: 'The current version (GET /consents/telehealth)' }),
});
export type AcceptConsentBody = Static<typeof AcceptConsentBody>;

export const AcceptanceSchema = Type.Object({
  id: Uuid(),
  patientId: Uuid(),
  type: Type.Literal('telehealth'),
  version: Type.Integer(),
  acceptedAt: Timestamp(),
  requestId: Type.String({ description: 'The request that recorded it (as in the audit trail)' }),
});
export type Acceptance = Static<typeof AcceptanceSchema>;

// ---------- where the patient is ----------

export const LocationBody = Closed({
  country: Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2, e.g. US' }),
  region: Type.String({
    pattern: '^[A-Z]{2}-[A-Z0-9]{1,3}$',
    description: "ISO 3166-2 subdivision of that country, e.g. US-AL (its prefix is the country's code)",
  }),
  city: Type.Optional(SingleLine(1, 100)),
});
export type LocationBody = Static<typeof LocationBody>;

export const LocationSchema = Type.Object({
  appointmentId: Uuid(),
  patientId: Uuid(),
  country: Type.String(),
  region: Type.String(),
  city: Nullable(Type.String()),
  statedAt: Timestamp(),
});
export type VisitLocation = Static<typeof LocationSchema>;
