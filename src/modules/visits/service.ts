import { AppError, notFound } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Actor, RequestMeta } from '../auth/index.ts';
import { nowMs } from '../../platform/clock.ts';
import { iceServersFor } from './ice.ts';
import * as repo from './repo.ts';
import { clinicalAccess } from '../appointments/index.ts';
import type { RunningLate, Visit } from './schemas.ts';

type Authed = RequestMeta & { actor: Actor };

/** A presence row whose instance missed three heartbeats is gone (the instance died or lost the database). */
export const staleMs = (p: Platform) => 3 * p.config.visitHeartbeatMs;

export function windowOf(p: Platform, v: Pick<repo.VisitRow, 'startsAt' | 'endsAt'>): { opensAt: Date; closesAt: Date } {
  return {
    opensAt: new Date(v.startsAt.getTime() - p.config.visitOpensBeforeMinutes * 60_000),
    closesAt: new Date(v.endsAt.getTime() + p.config.visitClosesAfterMinutes * 60_000),
  };
}

const notOpen = (detail: string) => new AppError('VISIT_NOT_OPEN', detail);

/**
 * The rules of joining, after visibility: a confirmed appointment of a verified doctor, inside its
 * window (opensAt inclusive, closesAt exclusive). The doctor whose credentials are not (or no longer)
 * verified is told so; their patient sees a visit that is not open.
 */
export function assertJoinable(p: Platform, actor: Actor, v: repo.VisitRow): { opensAt: Date; closesAt: Date } {
  if (v.doctorStatus !== 'VERIFIED') {
    if (actor.userId === v.doctorId) throw new AppError('DOCTOR_NOT_VERIFIED');
    throw notOpen('The doctor cannot hold video visits at the moment');
  }
  if (v.status !== 'CONFIRMED') throw notOpen(`Only a confirmed appointment has a video visit; this one is ${v.status}`);
  const w = windowOf(p, v);
  const now = nowMs(p);
  if (now < w.opensAt.getTime()) throw notOpen(`The visit opens at ${w.opensAt.toISOString()}`);
  if (now >= w.closesAt.getTime()) throw notOpen(`The visit closed at ${w.closesAt.toISOString()}`);
  return w;
}

/** GET /appointments/{id}/visit: what a participant needs to set up the call, with fresh TURN credentials. */
export async function getVisit(p: Platform, meta: Authed, appointmentId: string): Promise<Visit> {
  const grant = clinicalAccess(p, meta.actor, 'records');
  return p.db.transaction(async (tx) => {
    const v = await repo.findVisit(tx, grant, appointmentId);
    if (!v) throw notFound('appointment');
    const w = assertJoinable(p, meta.actor, v);
    // The patient is refused until they accepted the current consent and stated where they are (issue 27).
    const pre = await p.hooks.visits.gate.get()(tx, { appointmentId, patientId: v.patientId }, meta.actor.userId === v.patientId);
    const present = await repo.presenceOf(tx, appointmentId, staleMs(p));
    const admitted =
      !p.config.visitWaitingRoom || meta.actor.userId === v.doctorId || (await repo.admittedIn(tx, appointmentId)).has(meta.actor.userId);
    await audit(tx, meta, { action: 'visit.read', resourceType: 'appointment', resourceId: appointmentId, patientId: v.patientId });
    return {
      appointmentId,
      opensAt: w.opensAt.toISOString(),
      closesAt: w.closesAt.toISOString(),
      iceServers: iceServersFor(p.config, meta.actor.userId, w.closesAt),
      iceTransportPolicy: p.config.visitIceTransportPolicy,
      peer: v.peer,
      peerPresent: present.some((r) => r.userId === v.peer.id),
      admitted,
      patientMayShareScreen: await repo.patientMayShare(tx, appointmentId),
      patientConsent: pre.consent,
      patientLocation: pre.location,
    };
  });
}

/** "Running late" lapses by itself after this long: it is about today's session, not a standing state. */
export const RUNNING_LATE_TTL_MS = 4 * 3_600_000;

const lateOut = (late: repo.RunningLate | null): RunningLate =>
  late
    ? { minutes: late.minutes, setAt: late.setAt.toISOString(), expiresAt: late.expiresAt.toISOString() }
    : { minutes: 0, setAt: null, expiresAt: null };

export async function getRunningLate(p: Platform, meta: Authed): Promise<RunningLate> {
  return lateOut(await repo.runningLate(p.db, meta.actor.userId, new Date(nowMs(p))));
}

/** Sets (or with 0 clears) the doctor's "running late"; the caller pushes it to the waiting patients. */
export async function setRunningLate(p: Platform, meta: Authed, minutes: number): Promise<RunningLate> {
  const now = nowMs(p);
  const late = minutes > 0 ? { minutes, setAt: new Date(now), expiresAt: new Date(now + RUNNING_LATE_TTL_MS) } : null;
  await repo.setRunningLate(p.db, meta.actor.userId, late);
  return lateOut(late);
}
