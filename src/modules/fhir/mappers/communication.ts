import type { Communication } from '@medplum/fhirtypes';

export interface MessageFacts {
  id: string;
  doctorId: string;
  patientId: string;
  senderId: string;
  recipientId: string;
  body: string;
  createdAt: Date;
  readAt: Date | null;
}

/** A file a message carries, and where its bytes are downloaded (GET /api/v1/attachments/{id}, same bearer token). */
export interface AttachmentFacts {
  fileName: string;
  contentType: string;
  size: number;
  url: string;
}

/**
 * A message between a doctor and a patient → FHIR Communication about that patient; its attachments are
 * further payloads (`contentAttachment` with the download URL), after the text (absent when it has none).
 */
export function toFhirCommunication(m: MessageFacts, attachments: AttachmentFacts[] = []): Communication {
  const ref = (id: string) => ({ reference: id === m.patientId ? `Patient/${id}` : `Practitioner/${id}` });
  return {
    resourceType: 'Communication',
    id: m.id,
    status: 'completed',
    subject: { reference: `Patient/${m.patientId}` },
    sent: m.createdAt.toISOString(),
    ...(m.readAt ? { received: m.readAt.toISOString() } : {}),
    sender: ref(m.senderId),
    recipient: [ref(m.recipientId)],
    payload: [
      ...(m.body || !attachments.length ? [{ contentString: m.body }] : []),
      ...attachments.map((a) => ({ contentAttachment: { contentType: a.contentType, url: a.url, size: a.size, title: a.fileName } })),
    ],
  };
}
