// Telehealth consent (admins publish versions, patients accept the current one) and where the patient states
// they are for a visit; with them, the gate the visits module runs before the patient joins (issue 27).
import { AppError, invalidTransition, notFound, validation } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import type { Platform } from '../../platform/platform.ts';
import { cursorCodec, toPage } from '../../platform/pagination.ts';
import type { Actor, RequestMeta } from '../auth/index.ts';
import { clinicalAccess } from '../appointments/index.ts';
import type { VisitGate } from '../visits/index.ts';
import type { LatestLocation } from '../clinical/index.ts';
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

// ---------- acceptances, for FHIR (Consent) ----------

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** One acceptance: its patient, or a doctor in whose care the patient is; else 404. */
export async function readAcceptance(p: Platform, meta: Authed, id: string): Promise<repo.AcceptanceRow> {
  const grant = clinicalAccess(p, meta.actor, 'clinical');
  if (!UUID.test(id)) throw notFound('consent');
  return p.db.transaction(async (tx) => {
    const [row] = await repo.acceptancesPage(tx, grant, null, 1, id);
    if (!row) throw notFound('consent');
    await audit(tx, meta, { action: 'consent.read', resourceType: 'consent', resourceId: row.id, patientId: row.patientId });
    return row;
  });
}

const ACCEPTANCE_CURSOR = cursorCodec('uuid');

/** A patient's acceptances under the caller's grant on that patient, by id; audited once per patient shown. */
export async function searchAcceptances(
  p: Platform,
  meta: Authed,
  patientId: string,
  q: { limit: number; cursor?: string | undefined },
): Promise<{ items: repo.AcceptanceRow[]; nextCursor: string | null }> {
  const grant = clinicalAccess(p, meta.actor, 'clinical', patientId);
  const after = ACCEPTANCE_CURSOR.decode(q.cursor, '/_cursor');
  return p.db.transaction(async (tx) => {
    const rows = await repo.acceptancesPage(tx, grant, after ? (after[0] as string) : null, q.limit + 1);
    const page = toPage(
      rows,
      q.limit,
      (r) => [r.id],
      (r) => r,
    );
    const shown = page.items[0]?.patientId;
    await audit(tx, meta, { action: 'consent.list', resourceType: 'consent', ...(shown ? { patientId: shown } : {}) });
    return page;
  });
}

/** The clinical module's p.hooks.clinical.patientLocation: the latest statement for the visit note. */
export const latestVisitLocation: LatestLocation = async (ex, appointmentId) => {
  const l = await repo.latestLocation(ex, appointmentId);
  return l ? { country: l.country, region: l.region, city: l.city, statedAt: l.statedAt.toISOString() } : null;
};
