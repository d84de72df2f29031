// Helpers shared by the waitlist tests (not loaded by the app).
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { build, connectWs, createPatient, type Person, type TestApp, type WsClient } from '../../../test/helpers.ts';
import { API, book, pinNow, workingDoctor } from '../doctors/test-support.ts';

/** Monday 2027-01-04 08:00 Berlin; the doctors below work 09:00–17:00 Berlin (08:00–16:00 UTC), 30-minute slots. */
export const NOW = '2027-01-04T07:00:00.000Z';
export const SLOT = '2027-01-05T09:00:00.000Z';
export const SLOT_END = '2027-01-05T09:30:00.000Z';
export const WINDOW = { from: '2027-01-05T00:00:00.000Z', to: '2027-01-06T00:00:00.000Z' };
export const HOLD_MS = 15 * 60_000;

/** An app whose waitlist worker polls often (tests pin the clock and wait for the events it sends). */
export async function waitlistApp(t?: Parameters<typeof build>[0], overrides: Parameters<typeof build>[1] = {}, shared?: Parameters<typeof build>[2]): Promise<TestApp> {
  const app = await build(t, { waitlistPollMs: 50, ...overrides }, shared);
  pinNow(app, NOW);
  return app;
}

export const join = (app: TestApp, who: Person, doctorId: string, window = WINDOW) =>
  app.request('POST', `${API}/waitlist`, { token: who.token, body: { doctorId, ...window } });

export async function joined(app: TestApp, who: Person, doctorId: string, window = WINDOW): Promise<string> {
  const res = await join(app, who, doctorId, window);
  assert.equal(res.status, 201, res.text);
  return res.body.id;
}

export const accept = (app: TestApp, who: Person, offerId: string, body?: unknown) =>
  app.request('POST', `${API}/waitlist/offers/${offerId}/accept`, { token: who.token, body });
export const decline = (app: TestApp, who: Person, offerId: string) =>
  app.request('POST', `${API}/waitlist/offers/${offerId}/decline`, { token: who.token });
export const cancel = (app: TestApp, who: Person, appointmentId: string) =>
  app.request('POST', `${API}/appointments/${appointmentId}/cancel`, { token: who.token });

/** A doctor with one booked appointment at `slot` that can be cancelled to free it. */
export async function bookedDoctor(app: TestApp, slot = SLOT, opts: Parameters<typeof workingDoctor>[1] = {}, holderOf?: Person) {
  const doctor = await workingDoctor(app, opts);
  const holder = holderOf ?? await createPatient(app);
  const res = await book(app, holder, doctor.id, slot);
  assert.equal(res.status, 201, res.text);
  return { doctor, holder, appointmentId: res.body.id as string };
}

/** The patient's live offer as the WebSocket announces it. */
export async function offerEvent(ws: WsClient, startsAt = SLOT, timeoutMs = 15_000) {
  const f = await ws.next((x) => x.type === 'waitlist.offer' && x.offer.startsAt === startsAt, timeoutMs);
  return f.offer as { id: string; doctorId: string; startsAt: string; endsAt: string; expiresAt: string };
}

export async function socket(app: TestApp, who: Person): Promise<WsClient> {
  return connectWs(app, who.token);
}

export interface DbOffer { id: string; patient_id: string; status: string; hold_id: string | null; starts_at: Date }
export async function offersOf(app: TestApp, doctorId: string): Promise<DbOffer[]> {
  return app.database.rows<DbOffer>(sql`SELECT id, patient_id, status, hold_id, starts_at FROM waitlist_offers WHERE doctor_id = ${doctorId} ORDER BY created_at, id`);
}

/** Rows of the doctor that block time at SLOT: live appointments and holds. */
export async function blocking(app: TestApp, doctorId: string, at = SLOT): Promise<{ id: string; status: string; patient_id: string }[]> {
  return app.database.rows(sql`SELECT id, status, patient_id FROM appointments
    WHERE doctor_id = ${doctorId} AND status IN ('PENDING', 'CONFIRMED', 'HELD') AND starts_at = ${at}::timestamptz`);
}

/** The r-th slot of the test day (09:00 UTC + r hours): rounds that reuse patients need distinct times. */
export const slotAt = (r: number) => new Date(Date.parse(SLOT) + r * 3_600_000).toISOString();

export function closeAll(...sockets: WsClient[]): void {
  for (const s of sockets) s.ws.close();
}
