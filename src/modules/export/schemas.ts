import { Type, type Static } from 'typebox';

export const ExportQuery = Type.Object(
  {
    format: Type.Optional(
      Type.Union([Type.Literal('json'), Type.Literal('fhir')], {
        default: 'json',
        description: '`json` (default): one Telecare JSON document; `fhir`: a FHIR R4 Bundle of type collection',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ExportQuery = Static<typeof ExportQuery>;
