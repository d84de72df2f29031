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

/** A message between a doctor and a patient → FHIR Communication about that patient. */
export function toFhirCommunication(m: MessageFacts): Communication {
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
    payload: [{ contentString: m.body }],
  };
}
