import { now, nowMs } from '../../platform/clock.ts';
import { AppError } from '../../platform/errors.ts';
import { Readable } from 'node:stream';
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { audit } from '../../platform/audit.ts';
import type { Actor, RequestMeta } from '../auth/index.ts';
import type { Platform } from '../../platform/platform.ts';
import { profileUnaudited } from '../accounts/index.ts';
import { clinicalAccess, toAppointment, type ClinicalGrant } from '../appointments/index.ts';
import { toPrescription } from '../prescriptions/index.ts';
import { toMessage, type MessageRow } from '../messages/index.ts';
import { summariesByMessage } from '../attachments/index.ts';
import { toPost } from '../posts/index.ts';
import type { Patient } from '../patients/index.ts';
import { toAuditEvent } from '../audit/index.ts';
import {
  toFhirPatient,
  toFhirPractitioner,
  toFhirAppointment,
  toFhirMedicationRequests,
  toFhirCommunication,
  toFhirDocumentReference,
  toFhirAuditEvent,
  fullName,
  toFhirAllergyIntolerance,
  toFhirMedicationStatement,
  toFhirCondition,
  toFhirEncounter,
  toFhirComposition,
  toFhirSavedIntake,
  toFhirAcceptance,
  toFhirVisitLocation,
} from '../fhir/index.ts';
import * as repo from './repo.ts';
import * as runs from './runs.ts';

type Meta = RequestMeta & { actor: Actor };

/** One JSON array written element by element from keyset batches. */
async function* jsonArray<R>(batches: AsyncGenerator<R[]>, map: (r: R) => unknown): AsyncGenerator<string> {
  yield '[';
  let first = true;
  for await (const batch of batches) {
    let chunk = '';
    for (const r of batch) {
      chunk += (first ? '' : ',') + JSON.stringify(map(r));
      first = false;
    }
    yield chunk;
  }
  yield ']';
}

/** Each batch of messages with the summaries of their attachments (the bytes: GET /attachments/{id}). */
async function* withAttachments(p: Platform, grant: ClinicalGrant | null, batches: AsyncGenerator<MessageRow[]>) {
  for await (const batch of batches) {
    const files = grant
      ? await summariesByMessage(
          p.db,
          grant,
          batch.map((m) => m.id),
        )
      : new Map();
    yield batch.map((m) => toMessage(m, files.get(m.id)));
  }
}

function accessLogEntry(actor: Actor) {
  return ({
    event,
    firstname,
    lastname,
  }: {
    event: Parameters<typeof toAuditEvent>[0];
    firstname: string | null;
    lastname: string | null;
  }) => {
    const e = toAuditEvent(event);
    // A patient's copy shows who and when, not client addresses (as the access log does).
    if (actor.role === 'PATIENT') {
      return {
        id: e.id,
        at: e.at,
        action: e.action,
        resourceType: e.resourceType,
        resourceId: e.resourceId,
        outcome: e.outcome,
        actor: e.actorId === null && e.actorRole === null ? null : { id: e.actorId, firstname, lastname, role: e.actorRole },
        prevHash: e.prevHash,
        hash: e.hash,
      };
    }
    return e;
  };
}

/** The grants the export's clinical sections are read under (null: an admin, who has no records of their own). */
interface Grants {
  records: ClinicalGrant | null;
  messages: ClinicalGrant | null;
  /** The patient's own clinical record (null for doctors and admins: their export holds no one's record). */
  record: ClinicalGrant | null;
}

/**
 * The records an export is made of; recorded once, before the first byte is sent. The grants are asked for
 * first: a doctor whose credentials are not verified gets 403 DOCTOR_NOT_VERIFIED and no document at all
 * (their export would hold their patients' appointments, prescriptions and messages).
 */
async function start(p: Platform, meta: Meta) {
  const admin = meta.actor.role === 'ADMIN';
  const grants: Grants = {
    records: admin ? null : clinicalAccess(p, meta.actor, 'records'),
    messages: admin ? null : clinicalAccess(p, meta.actor, 'messages'),
    record: meta.actor.role === 'PATIENT' ? clinicalAccess(p, meta.actor, 'clinical', meta.actor.userId) : null,
  };
  return p.db.transaction(async (tx) => {
    const profile = await profileUnaudited(p, tx, meta.actor);
    await audit(tx, meta, {
      action: 'export.read',
      resourceType: 'user',
      resourceId: meta.actor.userId,
      patientId: meta.actor.role === 'PATIENT' ? meta.actor.userId : null,
    });
    return { profile, grants };
  });
}

type Profile = Awaited<ReturnType<typeof profileUnaudited>>;

async function* jsonDocument(p: Platform, meta: Meta, profile: Profile, grants: Grants): AsyncGenerator<string> {
  const { actor } = meta;
  yield `{"exportedAt":${JSON.stringify(now(p).toISOString())},"profile":${JSON.stringify(profile)}`;
  yield ',"appointments":';
  yield* jsonArray(repo.appointmentsOf(p.database, grants.records), toAppointment);
  yield ',"prescriptions":';
  yield* jsonArray(repo.prescriptionsOf(p.database, grants.records), toPrescription);
  yield ',"messages":';
  yield* jsonArray(withAttachments(p, grants.messages, repo.messagesOf(p.database, grants.messages)), (m) => m);
  if (grants.record) {
    // The patient's clinical record: the three lists (entries in error included, marked) and the signed notes.
    for (const list of ['allergies', 'medications', 'problems'] as const) {
      yield `,"${list}":`;
      yield* jsonArray(repo.entriesOf(p.database, grants.record, list), (e) => e);
    }
    yield ',"notes":';
    yield* jsonArray(repo.signedNotesOf(p.database, grants.record), (n) => n.note);
    // Before the visits (issue 27): intake answers with the questions asked, consent acceptances, location statements.
    yield ',"intake":';
    yield* jsonArray(repo.intakesOf(p.database, grants.record), (x) => ({
      appointmentId: x.r.appointmentId,
      questionnaire: { id: x.q.id, title: x.q.title, version: x.q.version, items: x.q.items },
      status: x.r.status,
      answers: x.q.items
        .filter((it) => Object.hasOwn(x.r.answers, it.linkId))
        .map((it) => ({ linkId: it.linkId, value: x.r.answers[it.linkId] })),
      updatedAt: x.r.updatedAt.toISOString(),
      submittedAt: x.r.submittedAt?.toISOString() ?? null,
    }));
    yield ',"consents":';
    yield* jsonArray(repo.consentsOf(p.database, grants.record), ({ row }) => ({
      id: row.id,
      type: row.type,
      version: row.version,
      acceptedAt: row.acceptedAt.toISOString(),
      requestId: row.requestId,
    }));
    yield ',"visitLocations":';
    yield* jsonArray(repo.locationsOf(p.database, grants.record), ({ row }) => ({
      id: row.id,
      appointmentId: row.appointmentId,
      country: row.country,
      region: row.region,
      city: row.city,
      statedAt: row.statedAt.toISOString(),
      requestId: row.requestId,
    }));
  }
  yield ',"posts":';
  yield* jsonArray(repo.postsOf(p.database, actor), toPost);
  yield ',"accessLog":';
  yield* jsonArray(repo.accessLogOf(p.database, actor), accessLogEntry(actor));
  yield '}';
}

async function* fhirBundle(p: Platform, meta: Meta, profile: Profile, grants: Grants, base: string): AsyncGenerator<string> {
  const { actor } = meta;
  const head: Omit<Bundle, 'entry'> = { resourceType: 'Bundle', type: 'collection', timestamp: now(p).toISOString() };
  const json = JSON.stringify(head);
  yield `${json.slice(0, -1)},"entry":[`;
  let first = true;
  const entry = (resource: Resource) => {
    const e: BundleEntry = { fullUrl: `${base}/${resource.resourceType}/${resource.id}`, resource };
    const s = (first ? '' : ',') + JSON.stringify(e);
    first = false;
    return s;
  };
  if ('patient' in profile && profile.patient) yield entry(toFhirPatient(profile.patient as Patient));
  if ('doctor' in profile && profile.doctor) yield entry(toFhirPractitioner(profile.doctor));
  for await (const batch of repo.appointmentsOf(p.database, grants.records))
    yield batch.map((a) => entry(toFhirAppointment(toAppointment(a)))).join('');
  for await (const batch of repo.prescriptionsOf(p.database, grants.records)) {
    yield batch
      .flatMap((r) => toFhirMedicationRequests(toPrescription(r)))
      .map(entry)
      .join('');
  }
  const url = (id: string) => `${p.config.publicUrl}/api/v1/attachments/${id}`;
  for await (const batch of repo.messagesOf(p.database, grants.messages)) {
    const files = grants.messages
      ? await summariesByMessage(
          p.db,
          grants.messages,
          batch.map((m) => m.id),
        )
      : null;
    yield batch
      .map((m) =>
        entry(
          toFhirCommunication(
            m,
            (files?.get(m.id) ?? []).map((a) => ({ ...a, url: url(a.id) })),
          ),
        ),
      )
      .join('');
  }
  // The files those messages carry, as DocumentReferences (their bytes: Binary/{id}).
  for await (const batch of repo.documentsOf(p.database, grants.messages))
    yield batch.map((d) => entry(toFhirDocumentReference(d, p.config.publicUrl))).join('');
  for await (const batch of repo.entriesOf(p.database, grants.record, 'allergies'))
    yield batch.map((a) => entry(toFhirAllergyIntolerance(a))).join('');
  for await (const batch of repo.entriesOf(p.database, grants.record, 'medications'))
    yield batch.map((m) => entry(toFhirMedicationStatement(m))).join('');
  for await (const batch of repo.entriesOf(p.database, grants.record, 'problems'))
    yield batch.map((c) => entry(toFhirCondition(c))).join('');
  for await (const batch of repo.signedNotesOf(p.database, grants.record))
    yield batch.map((n) => entry(toFhirEncounter(n)) + entry(toFhirComposition(n))).join('');
  for await (const batch of repo.intakesOf(p.database, grants.record))
    yield batch.map((x) => entry(toFhirSavedIntake({ response: x.r, questionnaire: x.q }))).join('');
  for await (const batch of repo.consentsOf(p.database, grants.record))
    yield batch.map(({ row }) => entry(toFhirAcceptance(row, p.config.publicUrl))).join('');
  for await (const batch of repo.locationsOf(p.database, grants.record))
    yield batch.map(({ row }) => entry(toFhirVisitLocation(row))).join('');
  for await (const batch of repo.accessLogOf(p.database, actor)) {
    yield batch
      .map(({ event, firstname, lastname }) =>
        entry(
          toFhirAuditEvent({
            ...toAuditEvent(event),
            actorName: firstname !== null && lastname !== null ? fullName({ firstname, lastname }) : undefined,
            ip: actor.role === 'PATIENT' ? undefined : event.ip,
          }),
        ),
      )
      .join('');
  }
  yield ']}';
}

/**
 * The caller's own data as one document, written incrementally: each section is read in keyset
 * batches and serialised as it arrives, and the stream waits for the client (backpressure), so the
 * memory an export takes does not grow with its size. Posts have no FHIR resource and are only in
 * the JSON form.
 */
export async function exportOwnData(p: Platform, meta: Meta, format: 'json' | 'fhir', fhirBase: string): Promise<Readable> {
  const claimed = await p.db.transaction((tx) => runs.claim(tx, meta.actor.userId, nowMs(p), p.config.exportsPerHour));
  if (!claimed.ok) {
    throw new AppError(
      'RATE_LIMITED',
      claimed.reason === 'running'
        ? 'An export of this account is already running: one at a time'
        : `At most ${p.config.exportsPerHour} exports per hour`,
      undefined,
      { 'retry-after': String(claimed.retryAfterSeconds) },
    );
  }
  let closed: Promise<void> | null = null;
  const done = () =>
    (closed ??= runs.finish(p.database.db, claimed.id, nowMs(p)).catch((err: Error) => {
      p.log.warn({ err: err.message }, 'export run not closed');
    }));
  let stream: Readable;
  try {
    const { profile, grants } = await start(p, meta);
    const chunks = format === 'fhir' ? fhirBundle(p, meta, profile, grants, fhirBase) : jsonDocument(p, meta, profile, grants);
    stream = Readable.from(closingBeforeLast(chunks, done), { objectMode: false, highWaterMark: 64 * 1024 });
  } catch (err) {
    await done();
    throw err;
  }
  // Failed or abandoned by the client before the end: the next export of this user may start.
  stream.once('close', () => void done());
  return stream;
}

/**
 * Yields the chunks, closing the run before the last one goes out: a client that starts its next export
 * once this one has arrived whole finds it finished, on whichever instance it lands.
 */
async function* closingBeforeLast(chunks: AsyncGenerator<string>, close: () => Promise<void>): AsyncGenerator<string> {
  let held: string | undefined;
  try {
    for await (const chunk of chunks) {
      if (held !== undefined) yield held;
      held = chunk;
    }
    await close();
    if (held !== undefined) yield held;
  } finally {
    await close();
  }
}
