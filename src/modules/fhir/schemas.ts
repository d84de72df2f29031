import { Type, type Static } from 'typebox';

const Id = Type.String({ pattern: '^[A-Za-z0-9\\-.]{1,64}$', description: 'FHIR logical id' });
export const IdParams = Type.Object({ id: Id }, { additionalProperties: false });

const DateParam = Type.String({
  pattern: '^(ge|lt)\\d{4}-\\d{2}-\\d{2}(T[0-9:.]+(Z|[+-]\\d{2}:\\d{2}))?$',
  description: '`ge<instant or date>` (from, inclusive) or `lt<…>` (to, exclusive)',
});

/** The search parameters this server supports; any other is refused with 400 and an OperationOutcome. */
export const SearchQuery = Type.Object(
  {
    patient: Type.Optional(Type.String({ pattern: '^(Patient/)?[0-9a-f-]{36}$', description: 'Patient id or `Patient/<id>`' })),
    date: Type.Optional(Type.Union([DateParam, Type.Array(DateParam, { maxItems: 2 })])),
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
