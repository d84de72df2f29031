// Guests in the video visit (issue 30): invites by a single-use link, their redemption into a room-only
// capability, and the capability's side of authentication (the WebSocket hub's, nothing else).
import { randomBytes } from 'node:crypto';
import { AppError, notFound, validation } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Caller, Identity, RequestMeta as PlatformMeta } from '../../platform/guards.ts';
import { hashToken, newOpaqueToken } from '../../platform/tokens.ts';
import { nowMs } from '../../platform/clock.ts';
import { isPrintableLine } from '../../platform/text.ts';
import type { Db } from '../../platform/db/index.ts';
import type { Config } from '../../platform/config.ts';
import type { Actor, RequestMeta } from '../auth/index.ts';
import { clinicalAccess, lockAppointment } from '../appointments/index.ts';
import { iceServersFor } from './ice.ts';
import * as repo from './repo.ts';
import { windowOf } from './service.ts';
import type { GuestInvite, GuestInviteCreated, GuestRedeemed } from './schemas.ts';

type Authed = RequestMeta & { actor: Actor };

/** At most two guests per visit: with its doctor and patient, four participants in a full mesh. */
export const MAX_GUESTS = 2;
/** A guest's display name, validated like the lobby text: 1–80 characters after trimming, printable. */
export const GUEST_NAME_MAX = 80;
/** Capabilities carry this prefix: never a JWT, so every HTTP guard refuses them (401) and only the hub knows them. */
const CAPABILITY_PREFIX = 'vgc_';

/**
 * The caller a guest's capability resolves to on the WebSocket: no account, one visit. `frameScope` makes
 * the hub hand only `visit.*` frames of this socket to their handlers.
 */
export interface GuestActor extends Caller {
  role: 'GUEST';
  frameScope: 'visit.';
  guest: { id: string; appointmentId: string; role: repo.GuestRole; displayName: string };
}
export type VisitActor = Actor | GuestActor;
export const isGuest = (a: Caller): a is GuestActor => a.role === 'GUEST';

/** The audit trail names a guest's actions with the role they were invited in, e.g. GUEST_INTERPRETER. */
export const guestAuditRole = (role: repo.GuestRole) => `GUEST_${role}`;

const SESSION_PREFIX = 'guest:';

export function checkDisplayName(raw: string, pointer: string): string {
  const name = raw.trim();
  if (!name.length || [...name].length > GUEST_NAME_MAX) throw validation(pointer, `must have 1 to ${GUEST_NAME_MAX} characters`);
  if (!isPrintableLine(name)) throw validation(pointer, 'must not contain control or bidirectional formatting characters');
  return name;
}

function toInvite(g: repo.GuestRow): GuestInvite {
  return {
    id: g.id,
    appointmentId: g.appointmentId,
    role: g.role,
    label: g.label,
    createdBy: g.createdBy,
    createdAt: g.createdAt.toISOString(),
    agreement: g.agreement,
    status: g.revokedAt ? 'REVOKED' : g.redeemedAt ? 'REDEEMED' : 'PENDING',
    displayName: g.displayName,
    redeemedAt: g.redeemedAt?.toISOString() ?? null,
    revokedAt: g.revokedAt?.toISOString() ?? null,
  };
}

/** The visit of an appointment its patient or doctor may manage guests of; strangers (admins included) get 404. */
async function visitOf(
  p: Platform,
  tx: Parameters<Parameters<Platform['db']['transaction']>[0]>[0],
  meta: Authed,
  appointmentId: string,
  lock: boolean,
) {
  const grant = clinicalAccess(p, meta.actor, 'records');
  if (lock && !(await lockAppointment(tx, appointmentId, meta.actor.userId))) throw notFound('appointment');
  const v = await repo.findVisit(tx, grant, appointmentId);
  if (!v) throw notFound('appointment');
  return v;
}

/**
 * POST /appointments/{id}/visit/guests: the patient, or the doctor stating that the patient agreed, invites a
 * guest. The visit must be confirmed and not closed yet (an invite may be made days ahead; it is redeemed
 * only inside the window). At most MAX_GUESTS invites that are not revoked.
 */
export async function createInvite(
  p: Platform,
  meta: Authed,
  appointmentId: string,
  body: { role: repo.GuestRole; label?: string; patientAgreed?: boolean },
): Promise<GuestInviteCreated> {
  const label = body.label === undefined ? null : checkDisplayName(body.label, '/label');
  return p.db.transaction(async (tx) => {
    const v = await visitOf(p, tx, meta, appointmentId, true);
    const isDoctor = meta.actor.userId === v.doctorId;
    if (isDoctor && body.patientAgreed !== true)
      throw validation('/patientAgreed', 'must be true: a doctor invites a guest only with the patient’s agreement, which is recorded');
    if (v.status !== 'CONFIRMED')
      throw new AppError('VISIT_NOT_OPEN', `Only a confirmed appointment has a video visit; this one is ${v.status}`);
    const w = windowOf(p, v);
    if (nowMs(p) >= w.closesAt.getTime()) throw new AppError('VISIT_NOT_OPEN', `The visit closed at ${w.closesAt.toISOString()}`);
    if ((await repo.activeGuestCount(tx, appointmentId)) >= MAX_GUESTS)
      throw new AppError('GUEST_LIMIT_REACHED', `At most ${MAX_GUESTS} guests per visit; revoke an invite to make room`);
    // 256 random bits; only the hash is stored.
    const { token, hash: inviteHash } = newOpaqueToken();
    const row = await repo.insertGuest(tx, {
      appointmentId,
      role: body.role,
      label,
      inviteHash,
      createdBy: meta.actor.userId,
      createdAt: new Date(nowMs(p)),
      agreement: isDoctor ? 'DOCTOR_STATED_PATIENT_AGREED' : 'PATIENT_INVITED',
    });
    await audit(tx, meta, { action: 'visit.guest.invite', resourceType: 'visit_guest', resourceId: row.id, patientId: v.patientId });
    // Shown once: only its hash is kept. (The portal's guest page, whose link will carry it in the fragment, comes
    // with the portal's mesh call; see docs/decisions.md.)
    return {
      ...toInvite(row),
      token,
      validFrom: w.opensAt.toISOString(),
      validUntil: w.closesAt.toISOString(),
    };
  });
}

/** GET /appointments/{id}/visit/guests: the invites of the visit, newest last, without any token. */
export async function listInvites(p: Platform, meta: Authed, appointmentId: string): Promise<{ items: GuestInvite[] }> {
  return p.db.transaction(async (tx) => {
    const v = await visitOf(p, tx, meta, appointmentId, false);
    const rows = await repo.guestsOf(tx, appointmentId);
    await audit(tx, meta, { action: 'visit.guest.list', resourceType: 'appointment', resourceId: appointmentId, patientId: v.patientId });
    return { items: rows.map(toInvite) };
  });
}

/**
 * DELETE /appointments/{id}/visit/guests/{guestId}: its creator, the doctor, or the patient (whose agreement it
 * rests on) revokes an invite, used or not. Answers the revoked guest so the caller can end their part in the call.
 */
export async function revokeInvite(p: Platform, meta: Authed, appointmentId: string, guestId: string): Promise<repo.GuestRow> {
  return p.db.transaction(async (tx) => {
    const v = await visitOf(p, tx, meta, appointmentId, true);
    const g = await repo.findGuest(tx, appointmentId, guestId);
    if (!g) throw notFound('guest');
    if (g.revokedAt) throw new AppError('INVALID_TRANSITION', 'The invite is already revoked');
    if (!(await repo.revokeGuest(tx, g.id, meta.actor.userId, new Date(nowMs(p)))))
      throw new AppError('INVALID_TRANSITION', 'The invite is already revoked');
    await audit(tx, meta, { action: 'visit.guest.revoke', resourceType: 'visit_guest', resourceId: g.id, patientId: v.patientId });
    return g;
  });
}

/**
 * POST /visit-guests/redeem: anyone holding the link, inside the visit window, once. The answer's capability
 * lets its holder into this visit's room (the WebSocket's `visit.*` frames for this appointment) and nothing
 * else, until the visit closes or the invite is revoked.
 */
export async function redeemInvite(p: Platform, meta: PlatformMeta, token: string, rawName: string): Promise<GuestRedeemed> {
  const displayName = checkDisplayName(rawName, '/displayName');
  return p.db.transaction(async (tx) => {
    const row = await repo.guestByHash(tx, 'invite', hashToken(token));
    if (!row) throw notFound('invite');
    const g = row.guest;
    if (g.revokedAt) throw new AppError('INVITE_GONE', 'This link was revoked');
    if (g.redeemedAt) throw new AppError('INVITE_USED', 'This link has already been used');
    const w = windowOf(p, row);
    const now = nowMs(p);
    if (row.status !== 'CONFIRMED' || row.doctorStatus !== 'VERIFIED')
      throw new AppError('INVITE_GONE', 'This visit no longer takes place');
    if (now >= w.closesAt.getTime()) throw new AppError('INVITE_GONE', `The visit closed at ${w.closesAt.toISOString()}`);
    if (now < w.opensAt.getTime()) throw new AppError('VISIT_NOT_OPEN', `The visit opens at ${w.opensAt.toISOString()}`);
    const capability = `${CAPABILITY_PREFIX}${randomBytes(32).toString('base64url')}`;
    // Lost a race with another redemption (or a revocation) that committed first: the link is spent.
    if (!(await repo.redeem(tx, g.id, { displayName, capabilityHash: hashToken(capability), redeemedAt: new Date(now) })))
      throw new AppError('INVITE_USED', 'This link has already been used');
    await audit(
      tx,
      { ...meta, actor: null },
      {
        action: 'visit.guest.redeem',
        resourceType: 'visit_guest',
        resourceId: g.id,
        patientId: row.patientId,
        actorId: g.id,
        actorRole: guestAuditRole(g.role),
      },
    );
    return {
      guestToken: capability,
      expiresAt: w.closesAt.toISOString(),
      guest: { id: g.id, appointmentId: g.appointmentId, role: g.role, displayName },
      opensAt: w.opensAt.toISOString(),
      closesAt: w.closesAt.toISOString(),
      startsAt: row.startsAt.toISOString(),
      doctor: { firstname: row.doctor.firstname, lastname: row.doctor.lastname },
      iceServers: iceServersFor(p.config, g.id, w.closesAt),
      iceTransportPolicy: p.config.visitIceTransportPolicy,
    };
  });
}

/** Resolves a guest capability, or throws UNAUTHENTICATED: unknown, revoked, or its visit closed or not confirmed. */
async function resolveGuest(db: Db, config: Config, token: string, now: number): Promise<GuestActor> {
  const row = await repo.guestByHash(db, 'capability', hashToken(token));
  const g = row?.guest;
  if (!row || !g || g.revokedAt || !g.displayName) throw new AppError('UNAUTHENTICATED', 'The guest pass is invalid or revoked');
  const closes = row.endsAt.getTime() + config.visitClosesAfterMinutes * 60_000;
  if (row.status !== 'CONFIRMED' || now >= closes) throw new AppError('UNAUTHENTICATED', 'The guest pass has expired');
  return {
    userId: g.id,
    role: 'GUEST',
    sessionId: `${SESSION_PREFIX}${g.id}`,
    frameScope: 'visit.',
    guest: { id: g.id, appointmentId: g.appointmentId, role: g.role, displayName: g.displayName },
  };
}

/**
 * The identity the WebSocket hub uses: users' access tokens as before, and guests' capabilities (which the
 * HTTP guards never see: they are given the users' identity alone). A guest's "session" ends when the
 * invite is revoked or the visit closes; the hub's heartbeat then closes the socket (4401).
 */
export function withGuests<A extends Caller, O>(
  users: Identity<A, O>,
  p: { db: Db; config: Config; now: () => number },
): Identity<A | GuestActor, O> {
  return {
    resolve: (token) => (token?.startsWith(CAPABILITY_PREFIX) ? resolveGuest(p.db, p.config, token, p.now()) : users.resolve(token)),
    check: (actor, opts) => {
      if (isGuest(actor)) throw new AppError('FORBIDDEN', 'A guest pass opens the visit room only');
      users.check(actor, opts);
    },
    async endedSessions(sessionIds) {
      const guests = sessionIds.filter((s) => s.startsWith(SESSION_PREFIX)).map((s) => s.slice(SESSION_PREFIX.length));
      const ended = await users.endedSessions(sessionIds.filter((s) => !s.startsWith(SESSION_PREFIX)));
      for (const id of await repo.endedGuests(p.db, guests, new Date(p.now()), p.config.visitClosesAfterMinutes))
        ended.set(`${SESSION_PREFIX}${id}`, 'ENDED');
      return ended;
    },
  };
}
