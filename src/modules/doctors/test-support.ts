// Helpers shared by the doctors, patients and appointments tests (not loaded by the app).
import { createDoctor, type Person, type TestApp } from '../../../test/helpers.ts';
import { pinClock } from './clock.ts';

export const API = '/api/v1';

/** Pins the app's booking clock to an instant (ISO string). */
export function pinNow(app: TestApp, iso: string): void {
  pinClock(app.app.platform, new Date(iso));
}

export type Rule = { weekday: number; start: string; end: string };
export const everyDay = (start: string, end: string): Rule[] => [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start, end }));

export async function setAvailability(app: TestApp, doctor: Person, weekly: Rule[], settings: Record<string, unknown> = {}): Promise<void> {
  const res = await app.request('PUT', `${API}/doctors/me/availability`, { token: doctor.token, body: { weekly, minNoticeMinutes: 0, ...settings } });
  if (res.status !== 200) throw new Error(`availability failed: ${res.status} ${res.text}`);
}

/** A verified doctor working every day 09:00–17:00 (or the given rules), no minimum notice. */
export async function workingDoctor(
  app: TestApp,
  opts: { timezone?: string; weekly?: Rule[]; settings?: Record<string, unknown>; credentials?: 'VERIFIED' | 'PENDING' | 'REJECTED'; body?: Record<string, unknown> } = {},
): Promise<Person> {
  const doctor = await createDoctor(app, { credentials: opts.credentials, body: { timezone: opts.timezone ?? 'Europe/Berlin', ...opts.body } });
  await setAvailability(app, doctor, opts.weekly ?? everyDay('09:00', '17:00'), opts.settings);
  return doctor;
}

export async function slots(app: TestApp, doctorId: string, from: string, to: string): Promise<string[]> {
  const res = await app.request('GET', `${API}/doctors/${doctorId}/slots?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
  if (res.status !== 200) throw new Error(`slots failed: ${res.status} ${res.text}`);
  return res.body.map((s: { startsAt: string }) => s.startsAt);
}

export async function book(app: TestApp, patient: Person, doctorId: string, startsAt: string, extra: Record<string, unknown> = {}, headers?: Record<string, string>) {
  return app.request('POST', `${API}/appointments`, { token: patient.token, body: { doctorId, startsAt, ...extra }, headers });
}
