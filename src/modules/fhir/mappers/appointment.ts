import type { Appointment as FhirAppointment } from '@medplum/fhirtypes';
import type { Appointment } from '../../appointments/index.ts';
import { fullName } from './common.ts';

const STATUS: Record<Appointment['status'], FhirAppointment['status']> = {
  PENDING: 'pending',
  CONFIRMED: 'booked',
  CANCELLED: 'cancelled',
  COMPLETED: 'fulfilled',
  NO_SHOW: 'noshow',
};

export function toFhirAppointment(a: Appointment): FhirAppointment {
  const agreed = a.status === 'PENDING' ? 'needs-action' : a.status === 'CANCELLED' ? 'declined' : 'accepted';
  return {
    resourceType: 'Appointment',
    id: a.id,
    meta: { lastUpdated: a.updatedAt },
    status: STATUS[a.status],
    start: a.startsAt,
    end: a.endsAt,
    minutesDuration: Math.round((Date.parse(a.endsAt) - Date.parse(a.startsAt)) / 60_000),
    created: a.createdAt,
    ...(a.reason ? { reasonCode: [{ text: a.reason }] } : {}),
    ...(a.cancellationReason ? { cancelationReason: { text: a.cancellationReason } } : {}),
    participant: [
      { actor: { reference: `Patient/${a.patientId}`, display: fullName(a.patient) }, required: 'required', status: 'accepted' },
      { actor: { reference: `Practitioner/${a.doctorId}`, display: fullName(a.doctor) }, required: 'required', status: agreed },
    ],
  };
}
