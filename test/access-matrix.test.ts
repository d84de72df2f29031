// The clinical access matrix (issue 22): every operation of /openapi.json that discloses or changes patient
// data, the FHIR interactions among them, and the WebSocket frames that carry patient data, each called by
// every kind of caller against one patient's data. Which operations are in it and what each one is about
// (the patient's profile, the records of their care, their conversations, the caller's own data, the audit
// trail) is read from the document — security, FHIR resource type, tags, path — never from a list of
// routes; the expected outcome of each cell follows from the contract's rules ("Roles and the care
// relationship") for that purpose and caller kind. A new operation that carries patient data by its
// response schema and fits no rule fails the first test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import {
  build,
  connectWs,
  createAdminUser,
  createDoctor,
  createPatient,
  openWs,
  setDoctorVerification,
  type Person,
  type TestApp,
  type TestResponse,
  type WsClient,
} from './helpers.ts';
import { API, pinNow } from './fixtures/booking.ts';
import { item } from './fixtures/prescriptions.ts';
import { settled } from './fixtures/visits.ts';
import { uploaded } from './fixtures/attachments.ts';
import { ServerFrameSchema } from '../src/modules/realtime/index.ts';
import { carriesPatientData } from './fixtures/patient-data.ts';

const NOW = '2027-01-04T07:00:00.000Z';
const at = (hours: number) => new Date(Date.parse(NOW) + hours * 3_600_000);

// ---------- the rules ----------

/** What an operation discloses or changes, read from the OpenAPI document. */
type Purpose = 'profile' | 'records' | 'parties' | 'own' | 'audit';
/** The callers of the contract, each against the one patient whose data the matrix is about. */
const KINDS = [
  'patient',
  'strangerPatient',
  'doctorWithCare',
  'doctorWithoutCare',
  'pendingDoctor',
  'rejectedDoctor',
  'careEndedDoctor',
  'admin',
  'suspendedUser',
  'anonymous',
] as const;
type Kind = (typeof KINDS)[number];

/**
 * Whether the caller kind is entitled to the patient's data for the purpose (contract: the patient sees
 * their own; a verified doctor in a care relationship sees the profile, the records of their appointments
 * and prescriptions with the patient, and their conversation; a COMPLETED/NO_SHOW appointment relates them
 * for 365 days; admins see appointments and prescriptions but never medical history or message bodies).
 * `named`: the operation names one record (of the patient with doctorWithCare) rather than listing.
 */
function entitled(kind: Kind, purpose: Purpose, named: boolean): boolean {
  switch (kind) {
    case 'patient':
      return true;
    case 'doctorWithCare':
      return purpose !== 'audit';
    case 'careEndedDoctor':
      // Their own past appointment with the patient stays in their records (lists, their export); the
      // profile and anything of the other doctor's do not.
      return (purpose === 'records' && !named) || purpose === 'own';
    case 'admin':
      return purpose === 'records' || purpose === 'audit';
    default:
      return false;
  }
}

type Expect =
  | { kind: 'status'; status: number; code?: string[] }
  | { kind: 'refused' } // 403 DOCTOR_NOT_VERIFIED (or the role's 403), nothing disclosed or changed
  | { kind: 'denied' } // nothing of the patient disclosed (403/404 or a response without their data), nothing changed
  | { kind: 'allowed'; mustShow: boolean }; // not refused for access (401/403-access/404); GETs answer 2xx

const CLINICAL: Purpose[] = ['profile', 'records', 'parties'];

function expected(kind: Kind, op: Op): Expect {
  if (kind === 'anonymous') return { kind: 'status', status: 401 };
  if (kind === 'suspendedUser') return { kind: 'status', status: 403, code: ['ACCOUNT_SUSPENDED'] };
  if (kind === 'pendingDoctor' || kind === 'rejectedDoctor') {
    // Every clinical path, the export among them (it holds the doctor's patients' records), says 403.
    return CLINICAL.includes(op.purpose) || op.exportsRecords ? { kind: 'refused' } : { kind: 'denied' };
  }
  if (!entitled(kind, op.purpose, op.named)) return { kind: 'denied' };
  // The two parties of the care see the data on every read of a clinical purpose (so the denials above are
  // about access, not about missing data).
  return {
    kind: 'allowed',
    mustShow: op.method === 'GET' && CLINICAL.includes(op.purpose) && (kind === 'patient' || kind === 'doctorWithCare'),
  };
}

// ---------- the operations, from the document ----------

interface Op {
  operationId: string;
  method: string;
  path: string;
  purpose: Purpose;
  /** The path or the body names one record or patient ({id}, {patientId}, {userId}, a required `appointmentId`). */
  named: boolean;
  /** The caller's own data, which for a doctor holds their patients' records (the export). */
  exportsRecords: boolean;
  op: any;
}

const FHIR_PURPOSE: Record<string, Purpose | null> = {
  Patient: 'profile',
  Appointment: 'records',
  MedicationRequest: 'records',
  Communication: 'parties',
  AuditEvent: 'audit',
  Practitioner: null,
  // The clinical record, as on /api/v1.
  AllergyIntolerance: 'profile',
  MedicationStatement: 'profile',
  Condition: 'profile',
  Encounter: 'profile',
  Composition: 'profile',
  // An attachment's record and bytes, as GET /attachments/{id}: its conversation's two parties.
  DocumentReference: 'parties',
  Binary: 'parties',
};
const TAG_PURPOSE: Record<string, Purpose> = {
  patients: 'profile',
  appointments: 'records',
  prescriptions: 'records',
  // A conversation or a video visit is between its two parties only (admins included out).
  visits: 'parties',
  messages: 'parties',
  // An attachment is the uploader's, then its conversation's two parties' (GET /attachments/{id}).
  attachments: 'parties',
  // An appointment's intake answers: its patient and its doctor (issue 27).
  intake: 'parties',
  waitlist: 'own',
  // The clinical record (allergies, medications, problems, visit notes) is medical content: the profile's rule.
  'clinical record': 'profile',
};

/** The purpose an operation serves, by rules on its document; null: it carries no patient data. */
function purposeOf(path: string, op: any): Purpose | null {
  if (!op.security?.length) return null; // anonymous or capability URLs: no caller kind applies
  const fhir = /^\/fhir\/R4\/([A-Za-z]+)/.exec(path);
  if (fhir) return FHIR_PURPOSE[fhir[1]] ?? null;
  const segments = path.split('/').filter(Boolean).slice(2); // after /api/v1
  // A list of patients is their profiles (a doctor's patient list, under the doctor's own URL).
  if (segments.at(-1) === 'patients') return 'profile';
  if (segments.includes('audit-events')) return 'audit';
  // The caller's own data: their patient profile, access log, export, account view.
  if (segments.includes('me')) {
    const tags: string[] = op.tags ?? [];
    return tags.includes('patients') || tags.includes('me') || carries(op) ? 'own' : null;
  }
  // An upload stores the caller's own new file and answers its metadata: nobody else's data is read.
  if (op.operationId === 'uploadAttachment') return null;
  for (const tag of op.tags ?? []) if (TAG_PURPOSE[tag]) return TAG_PURPOSE[tag];
  return null;
}

let componentsOfDoc: Record<string, any> = {};
const responseSchemas = (op: any): any[] =>
  Object.entries<any>(op.responses ?? {})
    .filter(([code]) => code.startsWith('2'))
    .flatMap(([, r]) => Object.values<any>(r.content ?? {}).map((c) => c.schema));
const carries = (op: any) => responseSchemas(op).some((s) => carriesPatientData(s, componentsOfDoc));

async function document(app: TestApp) {
  const res = await app.request('GET', '/openapi.json');
  assert.equal(res.status, 200);
  return res.body as { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, any> } };
}

function operations(doc: Awaited<ReturnType<typeof document>>): { ops: Op[]; unplaced: string[] } {
  const ops: Op[] = [];
  const unplaced: string[] = [];
  componentsOfDoc = doc.components.schemas;
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      if (!op?.operationId || op.operationId === 'openRealtimeSocket') continue; // its frames are the third test
      const purpose = purposeOf(path, op);
      if (!purpose) {
        const names = /\{(patientId|userId)\}/.test(path) && !path.includes('/admin/');
        if (op.security?.length && (names || carries(op))) {
          unplaced.push(op.operationId);
        }
        continue;
      }
      ops.push({
        operationId: op.operationId,
        method: method.toUpperCase(),
        path,
        purpose,
        named: /\{[A-Za-z]*[iI]d\}/.test(path) || requiredIds(op, doc.components.schemas),
        exportsRecords: purpose === 'own' && /\/export$/.test(path),
        op,
      });
    }
  }
  return { ops, unplaced };
}

/** Whether the request body must name a record (a required property ending in `Id`). */
function requiredIds(op: any, components: Record<string, any>): boolean {
  let schema = op.requestBody?.content?.['application/json']?.schema;
  if (schema?.$ref) schema = components[schema.$ref.split('/').pop()];
  return (schema?.required ?? []).some((k: string) => /Id$/.test(k));
}

// ---------- the world: one patient, and a caller of every kind ----------

interface World {
  app: TestApp;
  callers: Record<Kind, Person | null>;
  patient: Person;
  doctor: Person;
  markers: string[];
  appointmentId: string;
  prescriptionId: string;
  messageId: string;
  attachmentId: string;
  auditEventId: string;
  /** An entry of each list of the patient's clinical record, by its path's collection. */
  entries: Record<'allergies' | 'medications' | 'problems', string>;
  /** The marker of the clinical record's content (fresh entries and notes carry it too, so any page of a list shows it). */
  record: string;
}

let nextHour = 0;
async function appointment(app: TestApp, doctorId: string, patientId: string, status: string, startsAt: Date, reason: string) {
  const [row] = await app.database.rows<{ id: string }>(sql`
    INSERT INTO appointments (patient_id, doctor_id, starts_at, ends_at, status, reason)
    VALUES (${patientId}, ${doctorId}, ${startsAt.toISOString()}, ${new Date(startsAt.getTime() + 30 * 60_000).toISOString()}, ${status}, ${reason})
    RETURNING id`);
  return row.id;
}
/** An entry of the patient's clinical record recorded by `by`, carrying `marker`. */
async function entry(app: TestApp, collection: 'allergies' | 'medications' | 'problems', patientId: string, by: string, marker: string) {
  const q = {
    allergies: sql`INSERT INTO clinical_allergies (patient_id, substance_display, category, criticality, reaction, verification, recorded_by, updated_by)
      VALUES (${patientId}, 'Pollen', 'environment', 'low', ${marker}, 'confirmed', ${by}, ${by}) RETURNING id`,
    medications: sql`INSERT INTO clinical_medications (patient_id, medication_display, dosage, verification, recorded_by, updated_by)
      VALUES (${patientId}, 'Vitamin D', ${marker}, 'confirmed', ${by}, ${by}) RETURNING id`,
    problems: sql`INSERT INTO clinical_problems (patient_id, condition_display, note, recorded_by, updated_by)
      VALUES (${patientId}, 'Asthma', ${marker}, ${by}, ${by}) RETURNING id`,
  }[collection];
  const [row] = await app.database.rows<{ id: string }>(q);
  return row.id;
}
/** A visit note of the appointment, through the API as its doctor: a draft, or signed. */
async function note(app: TestApp, doctor: Person, appointmentId: string, subjective: string, sign: boolean) {
  const put = await app.request('PUT', `${API}/appointments/${appointmentId}/note`, { token: doctor.token, body: { subjective } });
  assert.equal(put.status, 201, put.text);
  if (sign)
    assert.equal((await app.request('POST', `${API}/appointments/${appointmentId}/note/sign`, { token: doctor.token })).status, 200);
}
async function prescription(app: TestApp, doctorId: string, patientId: string, appointmentId: string, notes: string) {
  const [row] = await app.database.rows<{ id: string }>(sql`
    INSERT INTO prescriptions (doctor_id, patient_id, appointment_id, items, notes)
    VALUES (${doctorId}, ${patientId}, ${appointmentId}, ${JSON.stringify([item()])}::jsonb, ${notes})
    RETURNING id`);
  return row.id;
}

const letters = () =>
  randomUUID()
    .replace(/[^a-f]/g, '')
    .slice(0, 8)
    .padEnd(8, 'q');

async function world(app: TestApp): Promise<World> {
  pinNow(app, NOW);
  const name = `Zed${letters()}`;
  const history = `History${letters()}`;
  const reason = `Reason${letters()}`;
  const notes = `Notes${letters()}`;
  const body = `Message${letters()}`;
  const record = `Record${letters()}`;
  const patient = await createPatient(app, { body: { lastname: name, medicalHistory: history } });
  const stranger = await createPatient(app);
  const [doctor, other, pending, rejected, ended, suspended] = [
    await createDoctor(app),
    await createDoctor(app),
    await createDoctor(app, { credentials: 'PENDING' }),
    await createDoctor(app),
    await createDoctor(app),
    await createDoctor(app),
  ];
  const admin = await createAdminUser(app);

  const appointmentId = await appointment(app, doctor.id, patient.id, 'CONFIRMED', at(24), reason);
  const prescriptionId = await prescription(app, doctor.id, patient.id, appointmentId, notes);
  const sent = await app.request('POST', `${API}/conversations/${doctor.id}/messages`, { token: patient.token, body: { body } });
  assert.equal(sent.status, 201, sent.text);
  // A document the patient sent the doctor, whose bytes and name hold a marker (a PDF is stored as sent; its
  // DocumentReference shows the name).
  const letter = `Letter${letters()}`;
  const file = await uploaded(app, patient, Buffer.from(`%PDF-1.4\n% ${letter}\n%%EOF\n`), `${letter}.pdf`);
  const withFile = await app.request('POST', `${API}/conversations/${doctor.id}/messages`, {
    token: patient.token,
    body: { attachmentIds: [file.id] },
  });
  assert.equal(withFile.status, 201, withFile.text);
  // The rejected doctor had everything the doctor with care has, then an admin withdrew their credentials.
  const rejectedAppt = await appointment(app, rejected.id, patient.id, 'CONFIRMED', at(48), reason);
  await prescription(app, rejected.id, patient.id, rejectedAppt, notes);
  const toRejected = await app.request('POST', `${API}/conversations/${rejected.id}/messages`, { token: patient.token, body: { body } });
  assert.equal(toRejected.status, 201, toRejected.text);
  // The clinical record: an entry in each list and a signed note, each carrying a marker; the rejected
  // doctor wrote some of it too.
  const entries = {
    allergies: await entry(app, 'allergies', patient.id, doctor.id, record),
    medications: await entry(app, 'medications', patient.id, doctor.id, record),
    problems: await entry(app, 'problems', patient.id, doctor.id, record),
  };
  await note(app, doctor, appointmentId, record, true);
  await note(app, rejected, rejectedAppt, record, true);
  await setDoctorVerification(app, rejected.id, 'REJECTED');
  // The care of a COMPLETED appointment ended 366 days before the pinned now.
  await appointment(app, ended.id, patient.id, 'COMPLETED', at(-366 * 24 - 1), reason);
  // A suspended user with care: suspension wins over everything.
  await appointment(app, suspended.id, patient.id, 'CONFIRMED', at(72), reason);
  const suspend = await app.request('PATCH', `${API}/admin/users/${suspended.id}`, {
    token: admin.token,
    body: { accountStatus: 'SUSPENDED' },
  });
  assert.equal(suspend.status, 200, suspend.text);

  // Intake (issue 27): a telehealth consent is published, the doctor names a default questionnaire (nothing
  // required, so a fresh intake can be submitted) and the patient has answered it for the appointment.
  const intakeAnswer = `Intake${letters()}`;
  const consent = await app.request('POST', `${API}/admin/consents/telehealth`, { token: admin.token, body: { text: 'Consent' } });
  assert.equal(consent.status, 201, consent.text);
  const q = await app.request('POST', `${API}/doctors/me/questionnaires`, {
    token: doctor.token,
    body: { title: 'Intake', items: [{ linkId: 'reason', text: 'Why?', type: 'string' }] },
  });
  assert.equal(q.status, 201, q.text);
  const named = await app.request('PATCH', `${API}/doctors/me`, { token: doctor.token, body: { intakeQuestionnaireId: q.body.id } });
  assert.equal(named.status, 200, named.text);
  const answered = await app.request('PUT', `${API}/appointments/${appointmentId}/intake`, {
    token: patient.token,
    body: { answers: [{ linkId: 'reason', value: intakeAnswer }] },
  });
  assert.equal(answered.status, 200, answered.text);
  // A guest invited into the visit, its label a marker: the invite list is the patient's data too (issue 30).
  const guestLabel = `Guest${letters()}`;
  const invited = await app.request('POST', `${API}/appointments/${appointmentId}/visit/guests`, {
    token: patient.token,
    body: { role: 'FAMILY', label: guestLabel },
  });
  assert.equal(invited.status, 201, invited.text);

  const [event] = await app.database.rows<{ id: string }>(
    sql`SELECT id FROM audit_events WHERE patient_id = ${patient.id} ORDER BY seq DESC LIMIT 1`,
  );
  return {
    app,
    patient,
    doctor,
    markers: [name, history, reason, notes, body, record, letter, intakeAnswer, guestLabel],
    entries,
    record,
    appointmentId,
    prescriptionId,
    messageId: sent.body.id,
    attachmentId: file.id,
    auditEventId: event.id,
    callers: {
      patient,
      strangerPatient: stranger,
      doctorWithCare: doctor,
      doctorWithoutCare: other,
      pendingDoctor: pending,
      rejectedDoctor: rejected,
      careEndedDoctor: ended,
      admin,
      suspendedUser: suspended,
      anonymous: null,
    },
  };
}

/** Everything of the patient's that an operation could change, as one digest. */
async function digest(w: World): Promise<string> {
  const [row] = await w.app.database.rows<{ d: string }>(sql`
    SELECT md5(concat_ws('|',
      (SELECT string_agg(a::text, ',' ORDER BY a.id) FROM appointments a WHERE a.patient_id = ${w.patient.id}),
      (SELECT string_agg(r::text, ',' ORDER BY r.id) FROM prescriptions r WHERE r.patient_id = ${w.patient.id}),
      (SELECT string_agg(m::text, ',' ORDER BY m.id) FROM messages m WHERE m.patient_id = ${w.patient.id}),
      (SELECT p::text FROM patients p WHERE p.id = ${w.patient.id}),
      (SELECT string_agg(x::text, ',' ORDER BY x.id) FROM clinical_allergies x WHERE x.patient_id = ${w.patient.id}),
      (SELECT string_agg(x::text, ',' ORDER BY x.id) FROM clinical_medications x WHERE x.patient_id = ${w.patient.id}),
      (SELECT string_agg(x::text, ',' ORDER BY x.id) FROM clinical_problems x WHERE x.patient_id = ${w.patient.id}),
      (SELECT string_agg(n::text, ',' ORDER BY n.appointment_id) FROM visit_notes n WHERE n.patient_id = ${w.patient.id}),
      (SELECT string_agg(d::text, ',' ORDER BY d.id) FROM visit_note_addenda d
        JOIN visit_notes n ON n.appointment_id = d.appointment_id WHERE n.patient_id = ${w.patient.id}))) AS d`);
  return row.d;
}

// ---------- requests, built from the document ----------

/** A value for a schema, from the world where a name says what it is, else the schema's simplest valid value. */
function valueFor(name: string, schema: any, w: World, components: Record<string, any>): unknown {
  if (schema?.$ref) return valueFor(name, components[schema.$ref.split('/').pop()], w, components);
  const known: Record<string, unknown> = {
    appointmentId: w.appointmentId,
    doctorId: w.doctor.id,
    patientId: w.patient.id,
    patient: w.patient.id,
    items: [item()],
    upTo: w.messageId,
    body: 'A question about my treatment',
    medicalHistory: 'Updated history',
    startsAt: at(30).toISOString(),
    // A visit location (ISO 3166), the intake's answers, the consent version published in the world.
    country: 'DE',
    region: 'DE-BE',
    answers: [],
    version: 1,
    from: at(24).toISOString(),
    to: at(48).toISOString(),
  };
  if (name in known) return known[name];
  if (schema?.enum) return schema.enum[0];
  if (schema?.const !== undefined) return schema.const;
  if (schema?.anyOf) return valueFor(name, schema.anyOf.find((s: any) => s.type !== 'null') ?? schema.anyOf[0], w, components);
  switch (schema?.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const keys: string[] = [...(schema.required ?? [])];
      // A PATCH body asks for at least one property: the first ones it lists.
      for (const key of Object.keys(schema.properties ?? {}))
        if (keys.length < (schema.minProperties ?? 0) && !keys.includes(key)) keys.push(key);
      for (const key of keys) out[key] = valueFor(key, schema.properties[key], w, components);
      return out;
    }
    case 'array':
      return Array.from({ length: schema.minItems ?? 1 }, () => valueFor(name, schema.items, w, components));
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return false;
    default:
      if (schema?.format === 'uuid') return randomUUID();
      if (schema?.format === 'date-time') return at(30).toISOString();
      return 'x'.repeat(Math.max(schema?.minLength ?? 1, 1));
  }
}

/** The record a path's `{id}` names, by the collection it is in (fresh for a change, so cells stay independent). */
async function recordId(w: World, op: Op, collection: string): Promise<string | null> {
  const change = op.method !== 'GET';
  switch (collection) {
    case 'appointments': {
      // Signing needs a draft of the caller's doctor with the patient, an addendum a signed note.
      const noted = /\/note\/(sign|addenda)$/.exec(op.path);
      if (!noted)
        return change ? appointment(w.app, w.doctor.id, w.patient.id, 'CONFIRMED', at(-100 - nextHour++), 'Fresh') : w.appointmentId;
      const id = await appointment(w.app, w.doctor.id, w.patient.id, 'CONFIRMED', at(-100 - nextHour++), 'Fresh');
      await note(w.app, w.doctor, id, w.record, noted[1] === 'addenda');
      return id;
    }
    case 'Appointment':
      return change ? appointment(w.app, w.doctor.id, w.patient.id, 'CONFIRMED', at(-100 - nextHour++), 'Fresh') : w.appointmentId;
    case 'prescriptions':
      return change ? prescription(w.app, w.doctor.id, w.patient.id, w.appointmentId, 'Fresh') : w.prescriptionId;
    case 'MedicationRequest':
      return `${w.prescriptionId}-1`;
    case 'Communication':
      return w.messageId;
    case 'AllergyIntolerance':
      return w.entries.allergies;
    case 'MedicationStatement':
      return w.entries.medications;
    case 'Condition':
      return w.entries.problems;
    case 'Encounter':
    case 'Composition':
      return w.appointmentId;
    case 'allergies':
    case 'medications':
    case 'problems':
      return change ? entry(w.app, collection, w.patient.id, w.doctor.id, w.record) : w.entries[collection];
    case 'attachments':
    case 'DocumentReference':
    case 'Binary':
      return w.attachmentId;
    case 'AuditEvent':
      return w.auditEventId;
    case 'Patient':
      return w.patient.id;
    default:
      return null; // the caller's own resource (a waitlist entry, an offer) that this world does not hold
  }
}

async function requestOf(w: World, o: Op, kind: Kind, components: Record<string, any>) {
  const parts = o.path.split('/');
  let path = '';
  let unknownRecord = false;
  for (let i = 0; i < parts.length; i++) {
    const m = /^\{(\w+)\}(.*)$/.exec(parts[i]);
    if (!m) {
      path += (i ? '/' : '') + parts[i];
      continue;
    }
    // {userId} is the other party of a conversation: the patient, or to the patient their doctor.
    const value =
      m[1] === 'patientId'
        ? w.patient.id
        : m[1] === 'userId'
          ? kind === 'patient'
            ? w.doctor.id
            : w.patient.id
          : await recordId(w, o, parts[i - 1]);
    if (value === null) unknownRecord = true;
    path += `/${value ?? randomUUID()}${m[2]}`;
  }
  const query = new URLSearchParams();
  for (const p of o.op.parameters ?? []) {
    if (p.in === 'query' && (p.name === 'patientId' || p.name === 'patient')) query.set(p.name, w.patient.id);
  }
  const schema = o.op.requestBody?.content?.['application/json']?.schema;
  const body = schema ? valueFor('', schema, w, components) : undefined;
  // A doctor invites a visit guest only stating that the patient agreed (optional in the schema, required of doctors).
  if (o.operationId === 'createVisitGuest') (body as Record<string, unknown>).patientAgreed = true;
  return { path: query.size ? `${path}?${query}` : path, body, unknownRecord };
}

// ---------- a cell ----------

const ACCESS_CODES = ['UNAUTHENTICATED', 'ACCOUNT_SUSPENDED', 'DOCTOR_NOT_VERIFIED'];
const codeOf = (res: TestResponse): string | undefined => res.body?.code ?? res.body?.issue?.[0]?.details?.coding?.[0]?.code ?? undefined;

async function cell(w: World, o: Op, kind: Kind, components: Record<string, any>): Promise<string | null> {
  const who = w.callers[kind];
  const want = expected(kind, o);
  const { path, body, unknownRecord } = await requestOf(w, o, kind, components);
  const before = await digest(w);
  const res = await w.app.request(o.method, path, { token: who?.token, body });
  const shown = w.markers.filter((m) => res.text.includes(m));
  const changed = (await digest(w)) !== before;
  const code = codeOf(res);
  const got = `${res.status}${code ? ` ${code}` : ''}${shown.length ? ' disclosing the patient' : ''}${changed ? ' changing the patient' : ''}`;
  if (res.status >= 500 || res.status === 400) return `${got} (${res.text.slice(0, 160)})`;
  switch (want.kind) {
    case 'status':
      return res.status === want.status && (!want.code || want.code.includes(code ?? '')) && !shown.length && !changed
        ? null
        : `${got}; expected ${want.status}${want.code ? ` ${want.code}` : ''}`;
    case 'refused':
      return res.status === 403 && !shown.length && !changed ? null : `${got}; expected 403 DOCTOR_NOT_VERIFIED`;
    case 'denied':
      return !shown.length && !changed && (res.status < 300 || [403, 404, 409].includes(res.status))
        ? null
        : `${got}; expected nothing of the patient`;
    case 'allowed': {
      // 404 is a refusal, unless the path names a record of the caller's that this world does not hold.
      const refused =
        res.status === 401 || (res.status === 404 && !unknownRecord) || (res.status === 403 && ACCESS_CODES.includes(code ?? ''));
      if (refused) return `${got}; expected access`;
      // A read may still meet a state that answers 409 (a visit not open yet): access was granted.
      if (o.method === 'GET' && res.status >= 300 && ![403, 404, 409].includes(res.status)) return `${got}; expected 2xx`;
      const json = /json/.test(res.headers.get('content-type') ?? '');
      if (want.mustShow && json && res.status < 300 && !shown.length) return `${got}; expected the patient's data`;
      return null;
    }
  }
}

// ---------- the tests ----------

test('every operation that carries patient data falls under a rule of the matrix', async (t) => {
  const app = await build(t);
  const { ops, unplaced } = operations(await document(app));
  assert.deepEqual(unplaced, [], 'these operations carry patient data but no rule gives them a purpose');
  const ids = ops.map((o) => o.operationId);
  // The contract's paths to the data are all in it: REST, FHIR (read, search, $everything) and the export.
  for (const id of [
    'getPatient',
    'fhirReadPatient',
    'fhirPatientEverything',
    'fhirSearchCommunication',
    'exportMyData',
    'listMessages',
    // The clinical record, each of its 13 operations that disclose or change it.
    'listAllergies',
    'createAllergy',
    'updateAllergy',
    'listMedications',
    'createMedication',
    'updateMedication',
    'listProblems',
    'createProblem',
    'updateProblem',
    'putVisitNote',
    'getVisitNote',
    'signVisitNote',
    'listVisitNotes',
    'addVisitNoteAddendum',
    'downloadAttachment',
    'fhirReadDocumentReference',
    'fhirSearchDocumentReference',
    'fhirReadBinary',
  ]) {
    assert.ok(ids.includes(id), id);
  }
});

test('the access matrix: every patient-data operation × every caller kind answers as the rules say', async (t) => {
  const app = await build(t);
  const doc = await document(app);
  const { ops } = operations(doc);
  const w = await world(app);
  const failures: string[] = [];
  let cells = 0;
  for (const o of ops) {
    for (const kind of KINDS) {
      cells++;
      const why = await cell(w, o, kind, doc.components.schemas);
      if (why) failures.push(`${o.operationId} (${o.method} ${o.path}) × ${kind}: ${why}`);
    }
  }
  t.diagnostic(`matrix: ${ops.length} operations × ${KINDS.length} caller kinds = ${cells} cells, ${failures.length} failing`);
  assert.deepEqual(failures, []);
});

/** Server frames whose payload names a patient or carries their appointment (by the frame list's schemas). */
function disclosingFrames(): string[] {
  const out: string[] = [];
  const walk = (s: any): boolean =>
    !!s &&
    typeof s === 'object' &&
    (Object.keys(s.properties ?? {}).some((k) => ['patientId', 'patient', 'body', 'peer'].includes(k)) ||
      Object.values<any>(s.properties ?? {}).some(walk) ||
      [s.items, ...(s.anyOf ?? [])].some(walk));
  for (const f of ServerFrameSchema.anyOf as any[]) {
    const type = f.properties.type.const;
    if (type === 'waitlist.offer') continue; // only ever to the patient offered, about their own booking
    if (Object.entries<any>(f.properties).some(([k, v]) => k !== 'type' && walk(v))) out.push(type);
  }
  return out;
}

test('WebSocket frames that carry patient data reach only the callers the rules entitle', async (t) => {
  const app = await build(t);
  const w = await world(app);
  const frames = disclosingFrames();
  // How each disclosing frame is caused, by the patient, towards every doctor they have an appointment with.
  const triggers: Record<string, () => Promise<void>> = {
    'message.created': async () => {
      for (const d of [w.callers.doctorWithCare!, w.callers.rejectedDoctor!]) {
        const res = await app.request('POST', `${API}/conversations/${d.id}/messages`, {
          token: w.patient.token,
          body: { body: w.markers[4] },
        });
        assert.equal(res.status, 201, res.text);
      }
    },
    'appointment.updated': async () => {
      for (const d of [w.callers.doctorWithCare!, w.callers.rejectedDoctor!]) {
        const id = await appointment(app, d.id, w.patient.id, 'CONFIRMED', at(200 + nextHour++), w.markers[2]);
        const res = await app.request('POST', `${API}/appointments/${id}/cancel`, { token: w.patient.token, body: {} });
        assert.equal(res.status, 200, res.text);
      }
    },
  };
  // Visit frames go only to the sockets that joined the visit, which the visit tests cover per participant.
  const covered = frames.filter((f) => !f.startsWith('visit.'));
  assert.deepEqual(
    covered.filter((f) => !triggers[f]),
    [],
    'a frame that carries patient data needs a way to cause it here',
  );
  const sockets: [Kind, WsClient][] = [];
  const failures: string[] = [];
  for (const kind of KINDS) {
    const who = w.callers[kind];
    if (!who) {
      const c = await openWs(app);
      c.ws.send(JSON.stringify({ type: 'auth', accessToken: 'not-a-token' }));
      if ((await c.closed).code !== 4401) failures.push('anonymous: not closed with 4401');
      continue;
    }
    if (kind === 'suspendedUser') {
      const c = await openWs(app);
      c.ws.send(JSON.stringify({ type: 'auth', accessToken: who.token }));
      const closed = await c.closed;
      if (closed.code !== 4403) failures.push(`suspendedUser: closed ${closed.code}, expected 4403`);
      continue;
    }
    sockets.push([kind, await connectWs(app, who.token)]);
  }
  t.after(() => sockets.forEach(([, c]) => c.ws.close()));
  for (const type of covered) {
    const marks = sockets.map(([kind, c]) => [c, w.callers[kind]!.id, c.frames.length] as [WsClient, string, number]);
    await triggers[type]();
    const got = await settled(app, marks);
    sockets.forEach(([kind], i) => {
      const shown = got[i].filter((f) => f.type === type && w.markers.some((m) => JSON.stringify(f).includes(m)));
      const want = kind === 'patient' || kind === 'doctorWithCare';
      if (want !== shown.length > 0)
        failures.push(`${type} × ${kind}: ${shown.length} frames with the patient's data, expected ${want ? 'some' : 'none'}`);
    });
  }
  t.diagnostic(`frames: ${covered.length} × ${KINDS.length} caller kinds`);
  assert.deepEqual(failures, []);
});
