// Attachments of a patient's record in FHIR: DocumentReference (read, search by patient and date, a
// section of $everything) and Binary (the bytes). Everything is the attachments module's reads, under the
// clinical access point's `messages` grant (the two parties of the thread that carries the file) and
// audited as a download is (`attachment.read`, in the patient's access log).
import { Readable } from 'node:stream';
import type { Resource } from '@medplum/fhirtypes';
import { notFound } from '../../platform/errors.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Actor, RequestMeta } from '../auth/index.ts';
import { clinicalAccess } from '../appointments/index.ts';
import { attachments, documentPage, download, readDocument, searchDocuments } from '../attachments/index.ts';
import { toFhirDocumentReference } from './mappers/document-reference.ts';
import { refuseDateParams, searchedPatient, UUID } from './clinical.ts';
import { dateConditions, instantTarget, parseDateParam } from './date-search.ts';
import type { SearchQuery } from './schemas.ts';

type Meta = RequestMeta & { actor: Actor };

export async function readDocumentReference(p: Platform, meta: Meta, id: string): Promise<Resource> {
  if (!UUID.test(id)) throw notFound('document reference');
  return toFhirDocumentReference(await readDocument(p, meta, id), p.config.publicUrl);
}

/**
 * By patient (a patient's own by default; a doctor names the patient) and `date` (DocumentReference.date,
 * when the file was uploaded: every prefix and precision of FHIR date search), newest first, paged.
 */
export async function searchDocumentReferences(p: Platform, meta: Meta, q: SearchQuery, limit: number) {
  refuseDateParams('DocumentReference', q, ['date']);
  const filter = dateConditions(instantTarget(attachments.createdAt), parseDateParam('date', q.date));
  const patientId = searchedPatient(meta, 'DocumentReference', q);
  const page = await searchDocuments(p, meta, patientId, { limit, cursor: q._cursor }, filter);
  return { resources: page.items.map((d) => toFhirDocumentReference(d, p.config.publicUrl)), nextCursor: page.nextCursor };
}

/** $everything's section D: the patient's record attachments the caller's `messages` grant covers. */
export function documentSection(p: Platform, actor: Actor, patientId: string) {
  const grant = clinicalAccess(p, actor, 'messages', patientId);
  return {
    read: async (tx: Executor, key: [string, string] | null, limit: number) => {
      const rows = await documentPage(tx, grant, key, limit);
      const shown = rows.slice(0, limit);
      return {
        resources: shown.map((r) => toFhirDocumentReference(r.item, p.config.publicUrl) as Resource),
        more: rows.length > limit,
        last: shown.length ? shown[shown.length - 1].key : null,
      };
    },
  };
}

/** Base64 encodes groups of three bytes: a chunk's remainder waits for the next chunk. */
const BASE64_GROUP = 3;

/**
 * The bytes as a FHIR Binary resource, written as a stream: the JSON around `data`, and the base64 of the
 * chunks as they are read (a carry of up to two bytes keeps the groups of three whole), so memory stays one
 * chunk whatever the file's size — the same bound as the raw download.
 */
export function binaryJson(a: { id: string; contentType: string; messageId: string | null }, bytes: Readable): Readable {
  // An attachment of a record is governed by its DocumentReference (R4 Binary.securityContext).
  const context = a.messageId ? { securityContext: { reference: `DocumentReference/${a.id}` } } : {};
  const head = JSON.stringify({ resourceType: 'Binary', id: a.id, contentType: a.contentType, ...context, data: '' });
  const open = head.slice(0, -2); // up to and including the opening quote of data
  async function* body() {
    yield open;
    let carry = Buffer.alloc(0);
    for await (const piece of bytes) {
      const all = carry.length ? Buffer.concat([carry, piece as Buffer]) : (piece as Buffer);
      const whole = all.length - (all.length % BASE64_GROUP);
      yield all.subarray(0, whole).toString('base64');
      carry = Buffer.from(all.subarray(whole));
    }
    yield `${carry.toString('base64')}"}`;
  }
  return Readable.from(body(), { objectMode: false });
}

/** The download of GET /attachments/{id} (same grant, same `attachment.read` event), by FHIR's Binary id. */
export async function readBinary(p: Platform, meta: Meta, id: string) {
  if (!UUID.test(id)) throw notFound('binary');
  return download(p, meta, id);
}
