import type { MedicationRequest } from '@medplum/fhirtypes';
import type { Prescription } from '../../prescriptions/index.ts';
import { SYSTEM } from './common.ts';

/**
 * A Telecare prescription holds up to 20 items; FHIR orders one medication per MedicationRequest. Each
 * item becomes `<prescriptionId>-<n>` (n from 1), grouped by the prescription's id.
 */
export function toFhirMedicationRequests(rx: Prescription): MedicationRequest[] {
  return rx.items.map((item, i) => ({
    resourceType: 'MedicationRequest',
    id: `${rx.id}-${i + 1}`,
    groupIdentifier: { system: SYSTEM.prescription, value: rx.id },
    status: rx.status === 'ACTIVE' ? 'active' : 'cancelled',
    ...(rx.revocationReason ? { statusReason: { text: rx.revocationReason } } : {}),
    intent: 'order',
    // The strength names the product (as RxNorm's clinical drug names do: "amoxicillin 500 MG"); R4 keeps a
    // structured strength on a Medication resource, which would need a numeric ratio the item does not have.
    medicationCodeableConcept: { text: item.strength ? `${item.medication} ${item.strength}` : item.medication },
    subject: { reference: `Patient/${rx.patientId}` },
    requester: { reference: `Practitioner/${rx.doctorId}` },
    supportingInformation: [{ reference: `Appointment/${rx.appointmentId}` }],
    authoredOn: rx.issuedAt,
    dosageInstruction: [
      {
        text: `${item.dosage}, ${item.frequency}, ${item.durationDays} days`,
        ...(item.route ? { route: { text: item.route } } : {}),
        ...(item.instructions ? { patientInstruction: item.instructions } : {}),
      },
    ],
    dispenseRequest: {
      ...(item.quantity ? { quantity: { value: item.quantity } } : {}),
      expectedSupplyDuration: { value: item.durationDays, unit: 'days', system: 'http://unitsofmeasure.org', code: 'd' },
    },
    ...(rx.notes ? { note: [{ text: rx.notes }] } : {}),
  }));
}

/** `<prescriptionId>-<n>` → the prescription id and the item's index; null for any other id. */
export function parseMedicationRequestId(id: string): { prescriptionId: string; index: number } | null {
  const m = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-([1-9][0-9]?)$/.exec(id);
  return m ? { prescriptionId: m[1], index: Number(m[2]) - 1 } : null;
}
