// Intake questionnaires (a doctor's, versioned) and the patient's answers per appointment.
import { AppError, invalidTransition, notFound, validation } from '../../platform/errors.ts';
import { cursorCodec, toPage } from '../../platform/pagination.ts';
import { audit } from '../../platform/audit.ts';
import { isSingleLine } from '../../platform/text.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Actor, RequestMeta } from '../auth/index.ts';
import { clinicalAccess } from '../appointments/index.ts';
import * as repo from './repo.ts';
import type { Copied, CopyAnswerBody, Copy, Intake, IntakePutBody, Questionnaire, QuestionnaireBody } from './schemas.ts';
import { copiesOfResponse, recordFromIntake, type CodedInput } from '../clinical/index.ts';
import type { AnswerValue } from './tables.ts';
import { answerProblem, checkAnswers, checkItems, missingRequired } from './validate.ts';

type Authed = RequestMeta & { actor: Actor };

const toQuestionnaire = (r: repo.VersionRow): Questionnaire => ({
  id: r.id,
  title: r.title,
  version: r.version,
  items: r.items,
  createdAt: r.createdAt.toISOString(),
});

// ---------- questionnaires (the doctor's own; no patient data) ----------

export async function listQuestionnaires(p: Platform, meta: Authed): Promise<Questionnaire[]> {
  return (await repo.listCurrent(p.db, meta.actor.userId)).map(toQuestionnaire);
}

export async function createQuestionnaire(p: Platform, meta: Authed, body: QuestionnaireBody): Promise<Questionnaire> {
  const items = checkItems(body.items);
  return p.db.transaction(async (tx) => {
    const id = await repo.createQuestionnaire(tx, meta.actor.userId, body.title, items);
    await audit(tx, meta, { action: 'questionnaire.create', resourceType: 'questionnaire', resourceId: id });
    return toQuestionnaire((await repo.versionOf(tx, id, 1))!);
  });
}

/** A new version: the earlier ones stay as they are (the database refuses to change them), answers keep theirs. */
export async function reviseQuestionnaire(p: Platform, meta: Authed, id: string, body: QuestionnaireBody): Promise<Questionnaire> {
  const items = checkItems(body.items);
  return p.db.transaction(async (tx) => {
    const version = await repo.addVersion(tx, meta.actor.userId, id, body.title, items);
    if (!version) throw notFound('questionnaire');
    await audit(tx, meta, { action: 'questionnaire.update', resourceType: 'questionnaire', resourceId: id });
    return toQuestionnaire((await repo.versionOf(tx, id, version))!);
  });
}

// ---------- the intake of an appointment ----------

interface Loaded {
  a: repo.AppointmentRef;
  q: repo.VersionRow;
  r: repo.ResponseRow | undefined;
}

/** The appointment (its patient or its doctor, through the access point), its questionnaire and answers so far. */
async function load(p: Platform, tx: Executor, meta: Authed, appointmentId: string): Promise<Loaded> {
  const grant = clinicalAccess(p, meta.actor, 'records');
  const a = await repo.partyAppointment(tx, grant, appointmentId);
  if (!a) throw notFound('appointment');
  const r = await repo.responseOf(tx, appointmentId);
  // Answers stay with the version they were given to; a new intake takes the doctor's default, newest version.
  const q = r ? await repo.versionOf(tx, r.questionnaireId, r.questionnaireVersion) : await repo.defaultOf(tx, a.doctorId);
  if (!q) throw notFound('intake questionnaire (the doctor has named none)');
  return { a, q, r };
}

/** The answers of this intake copied into the record, as far as the caller sees the patient's record. */
async function copiesOf(p: Platform, tx: Executor, meta: Authed, l: Loaded): Promise<Copy[]> {
  if (l.r?.status !== 'completed') return [];
  return copiesOfResponse(tx, clinicalAccess(p, meta.actor, 'clinical', l.a.patientId), l.a.id);
}

function toIntake(l: Loaded, answers: Record<string, AnswerValue>, prefilled: string[], copies: Copy[] = []): Intake {
  const status = l.r?.status ?? 'in-progress';
  return {
    appointmentId: l.a.id,
    patientId: l.a.patientId,
    questionnaire: toQuestionnaire(l.q),
    copies,
    response: {
      status,
      answers: l.q.items.filter((it) => Object.hasOwn(answers, it.linkId)).map((it) => ({ linkId: it.linkId, value: answers[it.linkId] })),
      prefilled,
      ...(l.r?.submittedAt ? { submittedAt: l.r.submittedAt.toISOString() } : {}),
    },
  };
}

const OPEN: readonly string[] = ['PENDING', 'CONFIRMED'];

export async function getIntake(p: Platform, meta: Authed, appointmentId: string): Promise<Intake> {
  return p.db.transaction(async (tx) => {
    const l = await load(p, tx, meta, appointmentId);
    const answers = { ...(l.r?.answers ?? {}) };
    const prefilled: string[] = [];
    // Redundant entry (WCAG 2.2, 3.3.7): the patient's own earlier answers to the same linkId, shown to the
    // patient only, and only while the form is open; they are saved when the patient saves.
    if (meta.actor.userId === l.a.patientId && l.r?.status !== 'completed' && OPEN.includes(l.a.status)) {
      const open = l.q.items.filter((it) => !Object.hasOwn(answers, it.linkId));
      if (open.length) {
        for (const earlier of await repo.earlierAnswers(tx, l.a.patientId, appointmentId)) {
          for (const it of open) {
            const v = earlier[it.linkId];
            if (v === undefined || Object.hasOwn(answers, it.linkId) || answerProblem(it, v)) continue;
            answers[it.linkId] = v;
            prefilled.push(it.linkId);
          }
        }
      }
    }
    await audit(tx, meta, { action: 'intake.read', resourceType: 'appointment', resourceId: appointmentId, patientId: l.a.patientId });
    return toIntake(l, answers, prefilled, await copiesOf(p, tx, meta, l));
  });
}

async function save(p: Platform, meta: Authed, appointmentId: string, given: IntakePutBody['answers'] | null): Promise<Intake> {
  const submit = given === null;
  return p.db.transaction(async (tx) => {
    const l = await load(p, tx, meta, appointmentId);
    if (meta.actor.userId !== l.a.patientId) throw notFound('appointment');
    if (l.r?.status === 'completed') throw invalidTransition('The intake is submitted: it cannot be changed');
    if (!OPEN.includes(l.a.status)) throw invalidTransition(`The appointment is ${l.a.status}: its intake is closed`);
    const answers = submit ? { ...(l.r?.answers ?? {}) } : checkAnswers(l.q.items, given);
    if (submit) {
      const missing = missingRequired(l.q.items, answers);
      if (missing.length)
        throw new AppError(
          'VALIDATION_FAILED',
          `Required items are not answered: ${missing.map((it) => it.linkId).join(', ')}`,
          missing.map((it) => ({ path: `/answers/${it.linkId}`, message: `"${it.text}" is required` })),
        );
    }
    const row = {
      appointmentId,
      patientId: l.a.patientId,
      doctorId: l.a.doctorId,
      questionnaireId: l.q.id,
      questionnaireVersion: l.q.version,
    };
    const saved = await repo.saveResponse(tx, row, answers, submit);
    if (!saved) throw invalidTransition('The intake changed meanwhile (submitted, or started on another version): reload it');
    const action = submit ? 'intake.submit' : 'intake.update';
    await audit(tx, meta, { action, resourceType: 'appointment', resourceId: appointmentId, patientId: l.a.patientId });
    return toIntake({ ...l, r: saved }, saved.answers, []);
  });
}

/** Saves the patient's answers so far (validated per item type; required items may still be missing). */
export const putIntake = (p: Platform, meta: Authed, appointmentId: string, body: IntakePutBody) =>
  save(p, meta, appointmentId, body.answers);

/** Completes the intake once, when every required item has its answer (400 names those that have none). */
export const submitIntake = (p: Platform, meta: Authed, appointmentId: string) => save(p, meta, appointmentId, null);

// ---------- an answer copied into the clinical record ----------

/** The coded value an entry takes from the answer, unless the doctor picked one: a short single line, else 400. */
function fromAnswer(value: AnswerValue | undefined, given: CodedInput | undefined, field: string): CodedInput {
  if (given) return given;
  const text = typeof value === 'string' ? value.trim() : '';
  if (!text || text.length > 200 || !isSingleLine(text))
    throw validation(`/${field}`, `the answer is not a single line of at most 200 characters: name the ${field} (a code, or a display)`);
  return { display: text };
}

/**
 * The doctor copies one answer of a submitted intake into the patient's clinical record: one request, one entry,
 * which links back to the answer (response id + linkId) and is audited twice — the entry's own `<kind>.create`
 * and `intake.copy` naming the response. Its doctor only (anyone else 404; a patient 403 at the route), while the
 * patient is in their care (404 after); a response not submitted 409 INVALID_TRANSITION; a linkId the
 * questionnaire lacks or the patient left unanswered 404; the same answer into the same list again 409.
 */
export async function copyAnswer(p: Platform, meta: Authed, appointmentId: string, linkId: string, body: CopyAnswerBody): Promise<Copied> {
  return p.db.transaction(async (tx) => {
    const a = await repo.partyAppointment(tx, clinicalAccess(p, meta.actor, 'records'), appointmentId);
    if (!a || a.doctorId !== meta.actor.userId) throw notFound('appointment');
    // Locked to the commit: two copies of one answer are ordered, and the second finds the first's entry.
    const r = await repo.lockResponse(tx, appointmentId);
    if (r?.status !== 'completed')
      throw invalidTransition('The intake is not submitted: only submitted answers are copied into the record');
    const q = (await repo.versionOf(tx, r.questionnaireId, r.questionnaireVersion))!;
    const item = q.items.find((it) => it.linkId === linkId);
    const value = item ? r.answers[linkId] : undefined;
    if (!item || value === undefined) throw notFound('answer');
    const source = { responseId: appointmentId, linkId };
    const { into } = body;
    let entry: Copied['entry'];
    if (body.into === 'allergy') {
      const { into: _into, substance, ...rest } = body;
      entry = await recordFromIntake(tx, p, meta, a.patientId, source, {
        to: 'allergy',
        body: { ...rest, substance: fromAnswer(value, substance, 'substance') },
      });
    } else if (body.into === 'medication') {
      const { into: _into, medication, ...rest } = body;
      entry = await recordFromIntake(tx, p, meta, a.patientId, source, {
        to: 'medication',
        body: { ...rest, medication: fromAnswer(value, medication, 'medication') },
      });
    } else {
      const { into: _into, condition, ...rest } = body;
      entry = await recordFromIntake(tx, p, meta, a.patientId, source, {
        to: 'problem',
        body: { ...rest, condition: fromAnswer(value, condition, 'condition') },
      });
    }
    await audit(tx, meta, { action: 'intake.copy', resourceType: 'appointment', resourceId: appointmentId, patientId: a.patientId });
    return {
      copy: { linkId, into, entryId: entry.id, copiedBy: meta.actor.userId, copiedAt: entry.recordedAt },
      entry,
    };
  });
}

// ---------- the saved answers, for FHIR and the export (no prefill: only what the patient saved) ----------

/** One appointment's saved intake answers with the questionnaire version they were given to. */
export interface SavedIntake {
  response: repo.ResponseRow;
  questionnaire: repo.VersionRow;
}

/** The saved answers of one appointment: its patient, or its doctor while the patient is in their care; else 404. */
export async function readSavedIntake(p: Platform, meta: Authed, appointmentId: string): Promise<SavedIntake> {
  const grant = clinicalAccess(p, meta.actor, 'clinical');
  return p.db.transaction(async (tx) => {
    const a = await repo.partyAppointment(tx, grant, appointmentId);
    const r = a && (await repo.responseOf(tx, appointmentId));
    if (!a || !r) throw notFound('intake response');
    await audit(tx, meta, { action: 'intake.read', resourceType: 'appointment', resourceId: appointmentId, patientId: a.patientId });
    return { response: r, questionnaire: (await repo.versionOf(tx, r.questionnaireId, r.questionnaireVersion))! };
  });
}

const SAVED_CURSOR = cursorCodec('uuid');

/**
 * A patient's saved intakes (one per appointment), under the caller's grant on that patient: the patient's own; a
 * doctor's, of their own appointments with a patient in their care. Audited once per patient shown (or against
 * nobody when nothing was).
 */
export async function searchSavedIntakes(
  p: Platform,
  meta: Authed,
  patientId: string,
  q: { limit: number; cursor?: string | undefined },
): Promise<{ items: SavedIntake[]; nextCursor: string | null }> {
  const grant = clinicalAccess(p, meta.actor, 'clinical', patientId);
  const after = SAVED_CURSOR.decode(q.cursor, '/_cursor');
  return p.db.transaction(async (tx) => {
    const rows = await repo.responsesPage(tx, grant, after ? (after[0] as string) : null, q.limit + 1);
    const page = toPage(
      rows,
      q.limit,
      (x) => [x.r.appointmentId],
      (x): SavedIntake => ({ response: x.r, questionnaire: x.q }),
    );
    const shown = page.items[0]?.response.patientId;
    await audit(tx, meta, { action: 'intake.list', resourceType: 'appointment', ...(shown ? { patientId: shown } : {}) });
    return page;
  });
}
