import { Type, type Static } from 'typebox';

export const ExportQuery = Type.Object(
  {
    format: Type.Optional(
      Type.Union([Type.Literal('json')], {
        default: 'json',
        description: '`json` (default): one Telecare JSON document (a FHIR `collection` Bundle is not served yet)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ExportQuery = Static<typeof ExportQuery>;
