import { Type, type Static } from 'typebox';
import { DATE_VALUE } from './date-search.ts';

const Id = Type.String({ pattern: '^[A-Za-z0-9\\-.]{1,64}$', description: 'FHIR logical id' });
export const IdParams = Type.Object({ id: Id }, { additionalProperties: false });

const DateValue = Type.String({
  pattern: DATE_VALUE,
  description:
    'A FHIR date search value: a prefix (eq, the default, ne, gt, lt, ge, le, sa, eb), then a date or dateTime of any precision ' +
    '(`2026`, `2026-03`, `2026-03-04`, `2026-03-04T10:30Z`, `…:15.250+01:00`), which stands for its whole range. Repeat the ' +
    'parameter to AND conditions (`date=ge2026-01&date=lt2026-04`).',
});
const DateParam = (what: string) =>
  Type.Optional(Type.Union([DateValue, Type.Array(DateValue, { minItems: 1, maxItems: 4 })], { description: what }));

/** The date search parameters of any type; each type accepts its own (service.ts, clinical.ts) and answers 400 to the others. */
export const DATE_SEARCH_PARAMS = ['date', 'recorded-date', 'onset-date', 'effective'] as const;

/** The search parameters this server supports; any other is refused with 400 and an OperationOutcome. */
export const SearchQuery = Type.Object(
  {
    patient: Type.Optional(Type.String({ pattern: '^(Patient/)?[0-9a-f-]{36}$', description: 'Patient id or `Patient/<id>`' })),
    date: DateParam(
      'Appointment (start), Communication (sent), AuditEvent (recorded): `ge<date or instant>` (from, inclusive) and ' +
        '`lt<…>` (to, exclusive), a date being its UTC midnight. AllergyIntolerance (recordedDate), Encounter (period: the ' +
        'visit), Composition (date: signed), DocumentReference (date: uploaded): every prefix and precision of FHIR R4 date ' +
        'search, a date without time being its UTC day. Other types: 400.',
    ),
    'recorded-date': DateParam('Condition.recordedDate, as FHIR R4 date search; other types: 400.'),
    'onset-date': DateParam('Condition.onsetDateTime (a calendar date: its UTC day), as FHIR R4 date search; other types: 400.'),
    effective: DateParam(
      'MedicationStatement.effective: the period from the UTC day the medication is taken since, ongoing (no end); ' +
        'as FHIR R4 date search; other types: 400.',
    ),
    _count: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Page size, 1–100 (default 20)' })),
    _cursor: Type.Optional(
      Type.String({ minLength: 1, maxLength: 512, pattern: '^[A-Za-z0-9_-]+$', description: 'Opaque; taken from Bundle.link next' }),
    ),
  },
  { additionalProperties: false },
);
export type SearchQuery = Static<typeof SearchQuery>;

/** Patient/$everything pages its Bundle (see everything.ts); the bound keeps any one response small. */
export const EverythingQuery = Type.Object(
  {
    _count: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, description: 'Records per page, 1–1,000 (default 100); Bundle.link next gives the rest' }),
    ),
    _cursor: SearchQuery.properties._cursor,
  },
  { additionalProperties: false },
);
export type EverythingQuery = Static<typeof EverythingQuery>;

/** A FHIR resource or Bundle; its shape is FHIR R4's, validated against fhir.schema.json in the tests. */
export const FhirResource = Type.Object({ resourceType: Type.String() }, { additionalProperties: true });
