import type { components } from '../api/schema';
import { When } from './ui';

type Paths = import('../api/schema').paths;
export type Appointment = Paths['/api/v1/appointments/{id}']['get']['responses'][200]['content']['application/json'];
export type { components };

const statusLabels: Record<string, string> = { PENDING: 'Awaiting confirmation', CONFIRMED: 'Confirmed', CANCELLED: 'Cancelled', COMPLETED: 'Completed', NO_SHOW: 'No-show' };

export function StatusBadge({ status }: { status: string }) {
  return <span class="badge">{statusLabels[status] ?? status}</span>;
}

export function AppointmentWhen({ a }: { a: Appointment }) {
  return <><When iso={a.startsAt} /> – <When iso={a.endsAt} /></>;
}
