// Where a person lands after signing in (without a `?next=`): a patient on their next appointment (the one whose
// visit can be joined now, else the next upcoming one), else their appointments; a doctor on the agenda; an admin
// on their home. Open appointments of a patient are few (the booking limits), so a few pages always reach them.
import { api, type User } from './api/client';
import { VISIT_CLOSES_AFTER_MS } from './components/Appointment';
import { menus, pagePath } from './routes';

const LOOK_BACK_MS = 8 * 3_600_000;
const MAX_PAGES = 5;

export async function landingPath(role: User['role'], now = Date.now()): Promise<string> {
  if (role !== 'PATIENT') return menus[role][0][0];
  const from = new Date(now - LOOK_BACK_MS).toISOString();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { data } = await api.GET('/api/v1/appointments', { params: { query: { from, limit: 50, ...(cursor ? { cursor } : {}) } } });
    if (!data) break;
    // Listed by start: the first still open whose visit has not closed is the next appointment.
    const next = data.items.find(
      (a) => (a.status === 'PENDING' || a.status === 'CONFIRMED') && Date.parse(a.endsAt) + VISIT_CLOSES_AFTER_MS > now,
    );
    if (next) return pagePath('appointment', { id: next.id });
    if (!data.nextCursor) break;
    cursor = data.nextCursor;
  }
  return pagePath('patientAppointments');
}
