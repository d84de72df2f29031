// Test support for video visits: a confirmed appointment at a fixed instant with the app's clock pinned
// there, WebSocket helpers that wait for frames (never for time), and a barrier that proves a socket
// received nothing else.
import { randomUUID } from 'node:crypto';
import {
  appointmentFixture, connectWs, createDoctor, createPatient, type Person, type TestApp, type WsClient,
} from '../../../test/helpers.ts';
import { pinClock } from '../doctors/clock.ts';

export const START = new Date('2030-03-04T10:00:00.000Z');
export const MINUTES = 30;

export interface VisitSetup { app: TestApp; doctor: Person; patient: Person; id: string; startsAt: Date; endsAt: Date }

let slot = 0;
/**
 * A doctor, a patient and an appointment between them (fresh people each time, so fixtures never
 * overlap); the app's clock is pinned to the appointment's start unless `at` says otherwise.
 */
export async function visitFixture(
  app: TestApp,
  opts: { status?: 'PENDING' | 'CONFIRMED' | 'CANCELLED' | 'COMPLETED' | 'NO_SHOW'; credentials?: 'PENDING' | 'VERIFIED' | 'REJECTED'; at?: Date } = {},
): Promise<VisitSetup> {
  const [doctor, patient] = await Promise.all([
    createDoctor(app, { credentials: opts.credentials ?? 'VERIFIED', body: { firstname: 'Meredith', lastname: 'Grey' } }),
    createPatient(app, { body: { firstname: 'Alex', lastname: 'Karev' } }),
  ]);
  // A different day per fixture keeps any two of one app apart in time.
  const startsAt = new Date(START.getTime() + slot++ * 86_400_000);
  const id = await appointmentFixture(app, { doctorId: doctor.id, patientId: patient.id, status: opts.status ?? 'CONFIRMED', startsAt, minutes: MINUTES });
  pinClock(app.app.platform, opts.at ?? startsAt);
  return { app, doctor, patient, id, startsAt, endsAt: new Date(startsAt.getTime() + MINUTES * 60_000) };
}

/** Waits for a frame received after `mark` (an index into c.frames) that matches. */
export function nextAfter(c: WsClient, mark: number, match: (f: any) => boolean, timeoutMs = 10_000): Promise<any> {
  return c.next((f) => c.frames.indexOf(f) >= mark && match(f), timeoutMs);
}

/** Waits until `n` frames after `mark` match, and answers them in order of arrival. */
export async function countAfter(c: WsClient, mark: number, match: (f: any) => boolean, n: number, timeoutMs = 10_000): Promise<any[]> {
  const matching = () => c.frames.slice(mark).filter(match);
  await c.next(() => matching().length >= n, timeoutMs);
  return matching();
}

/** Sends a frame and waits for the first frame after it that matches. */
export async function send(c: WsClient, frame: unknown, match: (f: any) => boolean): Promise<any> {
  const mark = c.frames.length;
  c.ws.send(JSON.stringify(frame));
  return nextAfter(c, mark, match);
}

export const isVisit = (f: any) => typeof f?.type === 'string' && f.type.startsWith('visit.');

/** visit.join, answered by visit.joined or visit.error for that appointment. */
export function join(c: WsClient, appointmentId: string): Promise<any> {
  return send(c, { type: 'visit.join', appointmentId }, (f) => (f.type === 'visit.joined' || f.type === 'visit.error') && f.appointmentId === appointmentId);
}

/** The patient joins, then the doctor; answers once both have been told of the other. */
export async function joinBoth(p: WsClient, d: WsClient, appointmentId: string): Promise<void> {
  const mark = p.frames.length;
  const pj = await join(p, appointmentId);
  if (pj.type !== 'visit.joined') throw new Error(`patient could not join: ${JSON.stringify(pj)}`);
  const dMark = d.frames.length;
  const dj = await join(d, appointmentId);
  if (dj.type !== 'visit.joined') throw new Error(`doctor could not join: ${JSON.stringify(dj)}`);
  await nextAfter(d, dMark, (f) => f.type === 'visit.peer-joined' && f.appointmentId === appointmentId);
  await nextAfter(p, mark, (f) => f.type === 'visit.peer-joined' && f.appointmentId === appointmentId);
}

export async function connect(app: TestApp, who: Person): Promise<WsClient> {
  return connectWs(app, who.token);
}

/**
 * Proves that each socket has received everything it was going to get so far: a marker published
 * now through `app`'s bus reaches each socket after any frame sent to it before. Answers the frames
 * each socket got after `marks` and before its marker.
 */
export async function settled(app: TestApp, clients: [WsClient, string, number][]): Promise<any[][]> {
  const marker = randomUUID();
  await app.app.platform.bus.publish([...new Set(clients.map(([, userId]) => userId))], { type: 'test.barrier', marker });
  const out: any[][] = [];
  for (const [c, , mark] of clients) {
    const m = await nextAfter(c, mark, (f) => f.type === 'test.barrier' && f.marker === marker);
    out.push(c.frames.slice(mark, c.frames.indexOf(m)));
  }
  return out;
}
