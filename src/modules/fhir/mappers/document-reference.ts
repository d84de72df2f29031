// An attachment of a patient's record → FHIR R4 DocumentReference: the file's metadata, and where its bytes
// are (Binary/{id}, the same bearer token). The Communication that carries it is its context.
import type { DocumentReference } from '@medplum/fhirtypes';

/** What the mapper needs of an attachment (the attachments module's RecordDocument). */
export interface DocumentFacts {
  id: string;
  patientId: string;
  uploaderId: string;
  messageId: string;
  fileName: string;
  contentType: string;
  size: number;
  sha1: string | null;
  createdAt: Date;
}

/** Where app.ts mounts the FHIR API (routes.ts). */
const FHIR_PATH = '/fhir/R4';

/**
 * Links start at PUBLIC_URL (never the request's Host), as the other FHIR links do. R4 Attachment.hash is the SHA-1 of the
 * data, base64; `size` the bytes stored (an image: after re-encoding); `date` when it was uploaded.
 */
export function toFhirDocumentReference(d: DocumentFacts, publicUrl: string): DocumentReference {
  return {
    resourceType: 'DocumentReference',
    id: d.id,
    status: 'current',
    subject: { reference: `Patient/${d.patientId}` },
    date: d.createdAt.toISOString(),
    author: [{ reference: d.uploaderId === d.patientId ? `Patient/${d.uploaderId}` : `Practitioner/${d.uploaderId}` }],
    description: d.fileName,
    content: [
      {
        attachment: {
          contentType: d.contentType,
          url: `${publicUrl}${FHIR_PATH}/Binary/${d.id}`,
          size: d.size,
          ...(d.sha1 ? { hash: d.sha1 } : {}),
          title: d.fileName,
          creation: d.createdAt.toISOString(),
        },
      },
    ],
    context: { related: [{ reference: `Communication/${d.messageId}` }] },
  };
}
