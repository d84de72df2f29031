// Telehealth consent (admins publish versions, patients accept the current one) and where the patient states
// they are for a visit; with them, the gate the visits module runs before the patient joins (issue 27).
import { AppError, invalidTransition, notFound, validation } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Actor, RequestMeta } from '../auth/index.ts';
import { clinicalAccess } from '../appointments/index.ts';
import type { VisitGate } from '../visits/index.ts';
import * as repo from './repo.ts';
import type { Acceptance, AcceptConsentBody, ConsentVersion, LocationBody, VisitLocation } from './schemas.ts';

type Authed = RequestMeta & { actor: Actor };

const toVersion = (r: { version: number; text: string; publishedAt: Date }): ConsentVersion => ({
  version: r.version,
  text: r.text,
  publishedAt: r.publishedAt.toISOString(),
});

const toAcceptance = (r: repo.AcceptanceRow): Acceptance => ({
  id: r.id,
  patientId: r.patientId,
  type: 'telehealth',
  version: r.version,
  acceptedAt: r.acceptedAt.toISOString(),
  requestId: r.requestId,
});

export async function currentConsent(p: Platform): Promise<ConsentVersion> {
  const version = await repo.consentHead(p.db, null);
  const row = version ? await repo.consentVersion(p.db, version) : undefined;
  if (!row) throw notFound('telehealth consent (none is published)');
  return toVersion(row);
}

/** A new version: from now on a patient joins a visit only after accepting it. */
export async function publishConsent(p: Platform, meta: Authed, text: string): Promise<ConsentVersion> {
  return p.db.transaction(async (tx) => {
    const row = await repo.publishConsent(tx, text, meta.actor.userId);
    await audit(tx, meta, { action: 'consent_version.create', resourceType: 'consent', resourceId: `telehealth/${row.version}` });
    return toVersion(row);
  });
}

/** Records the acceptance (immutable: version, time, request id); accepting the same version again answers the first. */
export async function acceptConsent(
  p: Platform,
  meta: Authed,
  body: AcceptConsentBody,
): Promise<{ acceptance: Acceptance; created: boolean }> {
  return p.db.transaction(async (tx) => {
    // Held until commit: an acceptance is of the version that is current when it is recorded.
    const current = await repo.consentHead(tx, 'share');
    if (!current || body.version > current)
      throw validation('/version', `version ${body.version} of the telehealth consent is not published`);
    if (body.version !== current)
      throw new AppError('CONSENT_REQUIRED', `Version ${body.version} is no longer current: read and accept version ${current}`);
    const { row, created } = await repo.accept(tx, meta.actor.userId, current, meta.requestId);
    if (created) await audit(tx, meta, { action: 'consent.create', resourceType: 'consent', resourceId: row.id, patientId: row.patientId });
    return { acceptance: toAcceptance(row), created };
  });
}

export async function listConsents(p: Platform, meta: Authed): Promise<Acceptance[]> {
  return p.db.transaction(async (tx) => {
    const rows = await repo.acceptancesOf(tx, meta.actor.userId);
    await audit(tx, meta, { action: 'consent.list', resourceType: 'consent', patientId: meta.actor.userId });
    return rows.map(toAcceptance);
  });
}

const OPEN: readonly string[] = ['PENDING', 'CONFIRMED'];

/** The patient states where they are for this appointment's visit; the latest statement counts, each is kept. */
export async function stateLocation(p: Platform, meta: Authed, appointmentId: string, body: LocationBody): Promise<VisitLocation> {
  if (!body.region.startsWith(`${body.country}-`))
    throw validation('/region', `must be a subdivision of ${body.country} (ISO 3166-2 code starting "${body.country}-")`);
  return p.db.transaction(async (tx) => {
    const a = await repo.partyAppointment(tx, clinicalAccess(p, meta.actor, 'records'), appointmentId);
    if (!a || a.patientId !== meta.actor.userId) throw notFound('appointment');
    if (!OPEN.includes(a.status)) throw invalidTransition(`The appointment is ${a.status}: it has no visit to come`);
    const row = await repo.stateLocation(tx, {
      appointmentId,
      patientId: a.patientId,
      country: body.country,
      region: body.region,
      city: body.city ?? null,
      requestId: meta.requestId,
    });
    await audit(tx, meta, {
      action: 'visit_location.create',
      resourceType: 'appointment',
      resourceId: appointmentId,
      patientId: a.patientId,
    });
    return {
      appointmentId,
      patientId: row.patientId,
      country: row.country,
      region: row.region,
      city: row.city,
      statedAt: row.statedAt.toISOString(),
    };
  });
}

/** The visits module's gate (p.hooks.visits.gate): see VisitGate. */
export const visitGate: VisitGate = async (ex, visit, enforce) => {
  const current = await repo.consentHead(ex, enforce ? 'share' : null);
  const accepted = current ? await repo.acceptanceOf(ex, visit.patientId, current) : undefined;
  const location = await repo.latestLocation(ex, visit.appointmentId);
  // A clinic that has published no consent version is not gated (contract: "Intake and consent").
  if (enforce && current) {
    if (!accepted) throw new AppError('CONSENT_REQUIRED', `Accept version ${current} of the telehealth consent before joining`);
    if (!location) throw new AppError('LOCATION_REQUIRED', 'State where you are for this visit before joining');
  }
  return {
    consent: {
      currentVersion: current || null,
      accepted: !current || Boolean(accepted),
      acceptedAt: accepted?.acceptedAt.toISOString() ?? null,
    },
    location: location
      ? { country: location.country, region: location.region, city: location.city, statedAt: location.statedAt.toISOString() }
      : null,
  };
};
