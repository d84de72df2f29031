// Shared set-up for the prescription tests (not a test file itself).
import { sql } from 'drizzle-orm';
import { appointmentFixture, createDoctor, createPatient, type Person, type TestApp } from '../../../test/helpers.ts';

export const RX = '/api/v1/prescriptions';

export const item = (overrides: Record<string, unknown> = {}) => ({
  medication: 'Amoxicillin',
  dosage: '500 mg',
  route: 'oral',
  frequency: '3 times daily',
  durationDays: 7,
  quantity: 21,
  instructions: 'Take with food',
  ...overrides,
});

export interface Care {
  doctor: Person;
  patient: Person;
  appointmentId: string;
}

/** A verified doctor and a patient with an appointment between them in the given status. */
export async function care(app: TestApp, status: 'PENDING' | 'CONFIRMED' | 'CANCELLED' | 'COMPLETED' | 'NO_SHOW' = 'CONFIRMED', people: Partial<Care> = {}): Promise<Care> {
  const doctor = people.doctor ?? (await createDoctor(app));
  const patient = people.patient ?? (await createPatient(app));
  const appointmentId = await appointmentFixture(app, { doctorId: doctor.id, patientId: patient.id, status });
  return { doctor, patient, appointmentId };
}

export async function issue(app: TestApp, c: Care, body: Record<string, unknown> = {}) {
  const res = await app.request('POST', RX, { token: c.doctor.token, body: { appointmentId: c.appointmentId, items: [item()], ...body } });
  if (res.status !== 201) throw new Error(`issue failed: ${res.status} ${res.text}`);
  return res.body as { id: string; [k: string]: any };
}

export async function countPrescriptions(app: TestApp): Promise<number> {
  const [row] = await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM prescriptions`);
  return row.n;
}

export async function auditEvents(app: TestApp, action: string, resourceId?: string) {
  return app.database.rows<{ actor_id: string; patient_id: string | null; outcome: string; resource_id: string | null }>(
    resourceId
      ? sql`SELECT actor_id, patient_id, outcome, resource_id FROM audit_events WHERE action = ${action} AND resource_id = ${resourceId} ORDER BY seq`
      : sql`SELECT actor_id, patient_id, outcome, resource_id FROM audit_events WHERE action = ${action} ORDER BY seq`,
  );
}
