// Audit by construction (issue 10, item 2): every operation of /openapi.json is classified here, and each
// one that can return or change a patient's data is called and must write its audit event naming that
// patient. A new operation fails the first test until it is classified, so no read of patient data can
// ship without its event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import {
  appointmentFixture,
  createAdminUser,
  createDoctor,
  createPatient,
  patientBody,
  type Person,
  type TestApp,
  type TestResponse,
} from './helpers.ts';
import { audited } from './fixtures/audit.ts';
import { API, book, workingDoctor } from './fixtures/booking.ts';
import { bookedDoctor, cancel, closeAll, joined, NOW, offerEvent, SLOT, slotAt, socket, waitlistApp } from './fixtures/waitlist.ts';
import { item } from './fixtures/prescriptions.ts';
import { uploaded } from './fixtures/attachments.ts';
import { carriesPatientData } from './fixtures/patient-data.ts';

const PDF = '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n';
/** A multipart upload of a small PDF, as a string body (the request helper sends text). */
function multipartPdf() {
  const b = 'coverageboundary';
  return {
    rawBody: `--${b}\r\nContent-Disposition: form-data; name="file"; filename="letter.pdf"\r\nContent-Type: application/pdf\r\n\r\n${PDF}\r\n--${b}--\r\n`,
    headers: { 'content-type': `multipart/form-data; boundary=${b}` },
  };
}

/** Operations that return no patient data, with the reason; everything else must be in CASES. */
const NO_PATIENT_DATA: Record<string, string> = {
  getLiveness: 'health probe',
  getClinic: "the clinic's public settings",
  updateClinic: "the clinic's settings (audited as clinic.update)",
  setClinicLogo: "the clinic's logo (audited as clinic.logo.update)",
  deleteClinicLogo: "the clinic's logo (audited as clinic.logo.delete)",
  getClinicLogo: "the clinic's public logo",
  getReadiness: 'health probe',
  updateMyCalendarFeed: "the doctor's own feed setting (how patients are named)",
  registerDoctor: 'a doctor account',
  verifyEmail: "the caller's own account (no profile); audited as auth.verify_email",
  resendVerification: 'answers 202 with no body',
  login: "the caller's own account (no profile)",
  refreshTokens: 'tokens only',
  logout: 'no body',
  forgotPassword: 'answers 202 with no body',
  resetPassword: 'no body',
  changePassword: 'no body',
  requestEmailChange: 'answers 202 with no body; audited as account.email_change_request',
  confirmEmailChange: "the caller's own account (no profile); audited as account.email_change",
  getClosureTerms: "counts and dates of the caller's own account",
  closeMyAccount: "the caller's own account (no profile); audited as account.close",
  listDoctors: 'public directory',
  getMyDoctorProfile: "the doctor's own profile",
  updateMyDoctorProfile: "the doctor's own profile",
  getMyAvailability: "the doctor's own schedule",
  setMyAvailability: "the doctor's own schedule",
  getRunningLate: "the doctor's own running-late status",
  setRunningLate: "the doctor's own running-late status",
  listMyTimeOff: "the doctor's own schedule",
  addMyTimeOff: "the doctor's own schedule",
  deleteMyTimeOff: "the doctor's own schedule",
  getDoctor: 'public directory',
  listDoctorSlots: 'free times only',
  listDoctorsForAdmin: 'doctor accounts',
  setDoctorVerification: 'doctor accounts',
  listPosts: 'public posts',
  createPost: 'public posts',
  getPost: 'public posts',
  updatePost: 'public posts',
  deletePost: 'public posts',
  listMyPosts: "the doctor's own posts",
  openRealtimeSocket: 'pushes copies of events whose writes are audited where they happen (message.send, appointment.*)',
  listUsers: 'account names and statuses for administration, never medical data (see src/modules/audit/coverage.test.ts)',
  updateUserStatus: 'account status only',
  getMyCalendarFeed: "the feed's address, not its content",
  listMyNotifications: "the caller's own notification entries: what happened and which page, as its mails say it, never medical content",
  countMyUnreadNotifications: 'a count of the caller’s own entries',
  markMyNotificationRead: 'no body',
  markAllMyNotificationsRead: 'no body',
  countPendingDoctors: 'a count of doctor accounts',
  rotateMyCalendarFeed: "the feed's new address, not its content",
  fhirCapabilities: 'the CapabilityStatement',
  fhirReadPractitioner: 'a doctor',
  fhirSearchPractitioner: 'doctors',
  searchSubstances: 'the shipped drug terminology',
  getTelehealthConsent: 'the published consent text',
  publishTelehealthConsent: 'the consent text; audited as consent_version.create (an admin action)',
  listMyQuestionnaires: "the doctor's own questionnaires",
  createQuestionnaire: "the doctor's own questionnaire; audited as questionnaire.create",
  reviseQuestionnaire: "the doctor's own questionnaire; audited as questionnaire.update",
};

interface Ctx {
  app: TestApp;
  doctor: Person;
  patient: Person;
  admin: Person;
  appointmentId: string;
  prescriptionId: string;
  messageId: string;
}

interface Case {
  /** The request, made after `setup` (which may create what the request consumes). */
  call: (
    ctx: Ctx,
    prepared: any,
  ) => { method: string; path: string; who: Person | null; body?: unknown; rawBody?: string; headers?: Record<string, string> };
  setup?: (ctx: Ctx) => Promise<any>;
  action: string;
  /** The patient the event must name; defaults to the context's patient. */
  patientId?: (ctx: Ctx, res: TestResponse, prepared: any) => string | null;
  resourceId?: (ctx: Ctx, res: TestResponse, prepared: any) => string;
}

// Appointments written straight into the database for the main pair, each on its own day.
let day = 10;
const fixture = (ctx: Ctx, status: 'PENDING' | 'CONFIRMED', startsAt = new Date(Date.parse(NOW) + day++ * 86_400_000)) =>
  appointmentFixture(ctx.app, { doctorId: ctx.doctor.id, patientId: ctx.patient.id, status, startsAt });
const past = (hoursAgo: number) => new Date(Date.parse(NOW) - hoursAgo * 3_600_000);
const fhirId = (ctx: Ctx) => ctx.patient.id;

/** A PDF the context's patient sent their doctor; its id. */
async function sentLetter(c: Ctx): Promise<string> {
  const a = await uploaded(c.app, c.patient, Buffer.from(PDF), 'letter.pdf');
  const sent = await c.app.request('POST', `${API}/conversations/${c.doctor.id}/messages`, {
    token: c.patient.token,
    body: { attachmentIds: [a.id] },
  });
  assert.equal(sent.status, 201, sent.text);
  return a.id;
}

/** A confirmed appointment of a fresh doctor and patient, starting now (its visit open), for the guest cases. */
async function guestVisit(c: Ctx): Promise<{ id: string; patient: Person; doctor: Person }> {
  const [doctor, patient] = [await createDoctor(c.app), await createPatient(c.app)];
  const id = await appointmentFixture(c.app, { doctorId: doctor.id, patientId: patient.id, status: 'CONFIRMED', startsAt: new Date(NOW) });
  return { id, patient, doctor };
}

async function inviteGuest(c: Ctx, v: { id: string; patient: Person }): Promise<{ id: string; token: string }> {
  const res = await c.app.request('POST', `${API}/appointments/${v.id}/visit/guests`, {
    token: v.patient.token,
    body: { role: 'INTERPRETER' },
  });
  assert.equal(res.status, 201, res.text);
  return { id: res.body.id, token: res.body.token };
}

const CASES: Record<string, Case> = {
  registerPatient: {
    call: () => ({ method: 'POST', path: `${API}/auth/register/patient`, who: null, body: patientBody() }),
    action: 'auth.register',
    patientId: (_ctx, res) => res.body.user.id,
  },
  getMe: { call: (c) => ({ method: 'GET', path: `${API}/me`, who: c.patient }), action: 'patient.read' },
  updateMe: {
    call: (c) => ({ method: 'PATCH', path: `${API}/me`, who: c.patient, body: { locale: 'de', timeZone: 'Europe/Vienna' } }),
    action: 'account.update',
  },
  getMyPatientProfile: { call: (c) => ({ method: 'GET', path: `${API}/patients/me`, who: c.patient }), action: 'patient.read' },
  updateMyPatientProfile: {
    call: (c) => ({ method: 'PATCH', path: `${API}/patients/me`, who: c.patient, body: { medicalHistory: 'Asthma' } }),
    action: 'patient.update',
  },
  getPatient: { call: (c) => ({ method: 'GET', path: `${API}/patients/${c.patient.id}`, who: c.doctor }), action: 'patient.read' },
  listMyPatients: { call: (c) => ({ method: 'GET', path: `${API}/doctors/me/patients`, who: c.doctor }), action: 'patient.list' },
  bookAppointment: {
    setup: async (c) => workingDoctor(c.app),
    call: (c, doctor: Person) => ({
      method: 'POST',
      path: `${API}/appointments`,
      who: c.patient,
      body: { doctorId: doctor.id, startsAt: SLOT },
    }),
    action: 'appointment.create',
  },
  listAppointments: { call: (c) => ({ method: 'GET', path: `${API}/appointments`, who: c.doctor }), action: 'appointment.list' },
  getAppointment: {
    call: (c) => ({ method: 'GET', path: `${API}/appointments/${c.appointmentId}`, who: c.doctor }),
    action: 'appointment.read',
  },
  confirmAppointment: {
    setup: (c) => fixture(c, 'PENDING'),
    call: (c, id) => ({ method: 'POST', path: `${API}/appointments/${id}/confirm`, who: c.doctor }),
    action: 'appointment.confirm',
  },
  cancelAppointment: {
    setup: (c) => fixture(c, 'CONFIRMED'),
    call: (c, id) => ({ method: 'POST', path: `${API}/appointments/${id}/cancel`, who: c.patient, body: { reason: 'Better' } }),
    action: 'appointment.cancel',
  },
  rescheduleAppointment: {
    setup: async (c) => {
      const doctor = await workingDoctor(c.app);
      const res = await book(c.app, c.patient, doctor.id, slotAt(1));
      assert.equal(res.status, 201, res.text);
      return res.body.id;
    },
    call: (c, id) => ({ method: 'POST', path: `${API}/appointments/${id}/reschedule`, who: c.patient, body: { startsAt: slotAt(2) } }),
    action: 'appointment.reschedule',
  },
  completeAppointment: {
    setup: (c) => fixture(c, 'CONFIRMED', past(30)),
    call: (c, id) => ({ method: 'POST', path: `${API}/appointments/${id}/complete`, who: c.doctor }),
    action: 'appointment.complete',
  },
  markAppointmentNoShow: {
    setup: (c) => fixture(c, 'CONFIRMED', past(40)),
    call: (c, id) => ({ method: 'POST', path: `${API}/appointments/${id}/no-show`, who: c.doctor }),
    action: 'appointment.no_show',
  },
  issuePrescription: {
    call: (c) => ({
      method: 'POST',
      path: `${API}/prescriptions`,
      who: c.doctor,
      body: { appointmentId: c.appointmentId, items: [item()] },
    }),
    action: 'prescription.create',
  },
  listPrescriptions: { call: (c) => ({ method: 'GET', path: `${API}/prescriptions`, who: c.patient }), action: 'prescription.list' },
  getPrescription: {
    call: (c) => ({ method: 'GET', path: `${API}/prescriptions/${c.prescriptionId}`, who: c.doctor }),
    action: 'prescription.read',
  },
  verifyPrescription: {
    setup: async (c) => {
      const res = await c.app.request('GET', `${API}/prescriptions/${c.prescriptionId}`, { token: c.patient.token });
      assert.equal(res.status, 200, res.text);
      return res.body.verificationCode;
    },
    call: (_c, code: string) => ({ method: 'GET', path: `${API}/prescriptions/verify/${code}`, who: null }),
    action: 'prescription.verify',
  },
  getPrescriptionPdf: {
    call: (c) => ({ method: 'GET', path: `${API}/prescriptions/${c.prescriptionId}/pdf`, who: c.patient }),
    action: 'prescription.pdf.read',
  },
  revokePrescription: {
    setup: async (c) => {
      const res = await c.app.request('POST', `${API}/prescriptions`, {
        token: c.doctor.token,
        body: { appointmentId: c.appointmentId, items: [item()] },
      });
      assert.equal(res.status, 201, res.text);
      return res.body.id;
    },
    call: (c, id) => ({ method: 'POST', path: `${API}/prescriptions/${id}/revoke`, who: c.doctor, body: { reason: 'Wrong dose' } }),
    action: 'prescription.revoke',
  },
  listConversations: { call: (c) => ({ method: 'GET', path: `${API}/conversations`, who: c.doctor }), action: 'conversation.list' },
  listMessages: {
    call: (c) => ({ method: 'GET', path: `${API}/conversations/${c.patient.id}/messages`, who: c.doctor }),
    action: 'message.list',
  },
  sendMessage: {
    call: (c) => ({ method: 'POST', path: `${API}/conversations/${c.patient.id}/messages`, who: c.doctor, body: { body: 'How are you?' } }),
    action: 'message.send',
  },
  uploadAttachment: {
    call: (c) => ({ method: 'POST', path: `${API}/attachments`, who: c.patient, ...multipartPdf() }),
    action: 'attachment.create',
  },
  downloadAttachment: {
    setup: sentLetter,
    call: (c, id) => ({ method: 'GET', path: `${API}/attachments/${id}`, who: c.doctor }),
    action: 'attachment.read',
  },
  // The same file through FHIR, audited as its download: its DocumentReference, found or read, and its bytes.
  fhirReadDocumentReference: {
    setup: sentLetter,
    call: (c, id) => ({ method: 'GET', path: `/fhir/R4/DocumentReference/${id}`, who: c.doctor }),
    action: 'attachment.read',
    resourceId: (_c, _res, id) => id,
  },
  fhirSearchDocumentReference: {
    setup: sentLetter,
    call: (c) => ({ method: 'GET', path: `/fhir/R4/DocumentReference?patient=${c.patient.id}`, who: c.doctor }),
    action: 'attachment.read',
  },
  fhirReadBinary: {
    setup: sentLetter,
    call: (c, id) => ({ method: 'GET', path: `/fhir/R4/Binary/${id}`, who: c.doctor }),
    action: 'attachment.read',
    resourceId: (_c, _res, id) => id,
  },
  markConversationRead: {
    call: (c) => ({ method: 'POST', path: `${API}/conversations/${c.patient.id}/read`, who: c.doctor, body: { upTo: c.messageId } }),
    action: 'message.mark_read',
  },
  listAuditEvents: {
    call: (c) => ({ method: 'GET', path: `${API}/admin/audit-events?patientId=${c.patient.id}`, who: c.admin }),
    action: 'audit_event.list',
  },
  // The patient's own access log is not itself logged into it (each view would add an entry): it names
  // the patient as the resource instead.
  getMyAccessLog: {
    call: (c) => ({ method: 'GET', path: `${API}/patients/me/access-log`, who: c.patient }),
    action: 'access_log.list',
    patientId: () => null,
    resourceId: (c) => c.patient.id,
  },
  readCalendarFeed: {
    setup: async (c) => {
      const res = await c.app.request('GET', `${API}/me/calendar`, { token: c.doctor.token });
      assert.equal(res.status, 200, res.text);
      return new URL(res.body.url).pathname;
    },
    call: (_c, path) => ({ method: 'GET', path, who: null }),
    action: 'calendar_feed.read',
  },
  joinWaitlist: {
    setup: (c) => workingDoctor(c.app),
    call: (c, doctor: Person) => ({
      method: 'POST',
      path: `${API}/waitlist`,
      who: c.patient,
      body: { doctorId: doctor.id, from: '2027-01-05T00:00:00.000Z', to: '2027-01-06T00:00:00.000Z' },
    }),
    action: 'waitlist.create',
  },
  listWaitlist: { call: (c) => ({ method: 'GET', path: `${API}/waitlist`, who: c.patient }), action: 'waitlist.list' },
  leaveWaitlist: {
    setup: async (c) => joined(c.app, c.patient, (await workingDoctor(c.app)).id),
    call: (c, id) => ({ method: 'DELETE', path: `${API}/waitlist/${id}`, who: c.patient }),
    action: 'waitlist.delete',
  },
  acceptWaitlistOffer: {
    setup: (c) => offered(c, 4),
    call: (c, offerId) => ({ method: 'POST', path: `${API}/waitlist/offers/${offerId}/accept`, who: c.patient }),
    action: 'appointment.create',
  },
  declineWaitlistOffer: {
    setup: (c) => offered(c, 6),
    call: (c, offerId) => ({ method: 'POST', path: `${API}/waitlist/offers/${offerId}/decline`, who: c.patient }),
    action: 'waitlist.offer.decline',
  },
  getVisit: {
    // Once a telehealth consent is published (acceptConsent's case), the patient joins after accepting it and
    // stating where they are.
    setup: async (c) => {
      const id = await fixture(c, 'CONFIRMED', new Date(NOW));
      await stateLocation(c, id);
      const consent = await c.app.request('GET', `${API}/consents/telehealth`);
      if (consent.status === 200) await acceptConsent(c, consent.body.version);
      return id;
    },
    call: (c, id) => ({ method: 'GET', path: `${API}/appointments/${id}/visit`, who: c.patient }),
    action: 'visit.read',
  },
  exportMyData: { call: (c) => ({ method: 'GET', path: `${API}/me/export`, who: c.patient }), action: 'export.read' },
  // Guests (issue 30): each on a visit of its own pair, open now (the link is redeemed inside the window only).
  createVisitGuest: {
    setup: (c) => guestVisit(c),
    call: (_c, v) => ({ method: 'POST', path: `${API}/appointments/${v.id}/visit/guests`, who: v.patient, body: { role: 'FAMILY' } }),
    action: 'visit.guest.invite',
    patientId: (_c, _res, v) => v.patient.id,
  },
  listVisitGuests: {
    call: (c) => ({ method: 'GET', path: `${API}/appointments/${c.appointmentId}/visit/guests`, who: c.doctor }),
    action: 'visit.guest.list',
  },
  revokeVisitGuest: {
    setup: async (c) => {
      const v = await guestVisit(c);
      return { ...v, guest: await inviteGuest(c, v) };
    },
    call: (_c, v) => ({ method: 'DELETE', path: `${API}/appointments/${v.id}/visit/guests/${v.guest.id}`, who: v.patient }),
    action: 'visit.guest.revoke',
    patientId: (_c, _res, v) => v.patient.id,
  },
  redeemVisitGuest: {
    setup: async (c) => {
      const v = await guestVisit(c);
      return { ...v, guest: await inviteGuest(c, v) };
    },
    call: (_c, v) => ({
      method: 'POST',
      path: `${API}/visit-guests/redeem`,
      who: null,
      body: { token: v.guest.token, displayName: 'Ana' },
    }),
    action: 'visit.guest.redeem',
    patientId: (_c, _res, v) => v.patient.id,
  },
  fhirReadPatient: { call: (c) => ({ method: 'GET', path: `/fhir/R4/Patient/${fhirId(c)}`, who: c.doctor }), action: 'patient.read' },
  fhirSearchPatient: { call: (c) => ({ method: 'GET', path: '/fhir/R4/Patient', who: c.patient }), action: 'patient.read' },
  fhirReadAppointment: {
    call: (c) => ({ method: 'GET', path: `/fhir/R4/Appointment/${c.appointmentId}`, who: c.doctor }),
    action: 'appointment.read',
  },
  fhirSearchAppointment: {
    call: (c) => ({ method: 'GET', path: `/fhir/R4/Appointment?patient=${c.patient.id}`, who: c.doctor }),
    action: 'appointment.list',
  },
  fhirReadMedicationRequest: {
    call: (c) => ({ method: 'GET', path: `/fhir/R4/MedicationRequest/${c.prescriptionId}-1`, who: c.patient }),
    action: 'prescription.read',
  },
  fhirSearchMedicationRequest: {
    call: (c) => ({ method: 'GET', path: `/fhir/R4/MedicationRequest?patient=${c.patient.id}`, who: c.doctor }),
    action: 'prescription.list',
  },
  fhirReadCommunication: {
    call: (c) => ({ method: 'GET', path: `/fhir/R4/Communication/${c.messageId}`, who: c.doctor }),
    action: 'message.read',
  },
  fhirSearchCommunication: {
    call: (c) => ({ method: 'GET', path: `/fhir/R4/Communication?patient=${c.patient.id}`, who: c.doctor }),
    action: 'message.list',
  },
  fhirReadAuditEvent: {
    setup: async (c) => {
      const [row] = await c.app.database.rows<{ id: string }>(
        sql`SELECT id FROM audit_events WHERE patient_id = ${c.patient.id} ORDER BY seq DESC LIMIT 1`,
      );
      return row.id;
    },
    call: (c, id) => ({ method: 'GET', path: `/fhir/R4/AuditEvent/${id}`, who: c.patient }),
    action: 'audit_event.read',
  },
  fhirSearchAuditEvent: {
    call: (c) => ({ method: 'GET', path: `/fhir/R4/AuditEvent?patient=${c.patient.id}`, who: c.admin }),
    action: 'audit_event.list',
  },
  fhirPatientEverything: {
    call: (c) => ({ method: 'GET', path: `/fhir/R4/Patient/${c.patient.id}/$everything`, who: c.patient }),
    action: 'patient.everything.read',
  },
  ...clinicalCases(),
  ...intakeCases(),
};

const stateLocation = async (c: Ctx, id: string) => {
  const res = await c.app.request('POST', `${API}/appointments/${id}/visit/location`, {
    token: c.patient.token,
    body: { country: 'DE', region: 'DE-BE' },
  });
  assert.equal(res.status, 201, res.text);
};
const acceptConsent = async (c: Ctx, version: number) => {
  const res = await c.app.request('POST', `${API}/me/consents`, { token: c.patient.token, body: { type: 'telehealth', version } });
  assert.ok(res.status === 201 || res.status === 200, res.text);
};

/** Intake, consent and location (issue 27): the patient's answers, acceptances and statements. */
function intakeCases(): Record<string, Case> {
  const withIntake = async (c: Ctx) => {
    const q = await c.app.request('POST', `${API}/doctors/me/questionnaires`, {
      token: c.doctor.token,
      body: { title: 'Intake', items: [{ linkId: 'reason', text: 'Why?', type: 'string' }] },
    });
    assert.equal(q.status, 201, q.text);
    const d = await c.app.request('PATCH', `${API}/doctors/me`, { token: c.doctor.token, body: { intakeQuestionnaireId: q.body.id } });
    assert.equal(d.status, 200, d.text);
    return fixture(c, 'CONFIRMED');
  };
  const withAnswers = async (c: Ctx) => {
    const id = await withIntake(c);
    const res = await c.app.request('PUT', `${API}/appointments/${id}/intake`, {
      token: c.patient.token,
      body: { answers: [{ linkId: 'reason', value: 'Cough' }] },
    });
    assert.equal(res.status, 200, res.text);
    return id;
  };
  const accepted = async (c: Ctx) => {
    let current = await c.app.request('GET', `${API}/consents/telehealth`);
    if (current.status !== 200)
      current = await c.app.request('POST', `${API}/admin/consents/telehealth`, { token: c.admin.token, body: { text: 'Consent' } });
    const res = await c.app.request('POST', `${API}/me/consents`, {
      token: c.patient.token,
      body: { type: 'telehealth', version: current.body.version },
    });
    assert.ok(res.status === 201 || res.status === 200, res.text);
    return res.body.id as string;
  };
  return {
    getIntake: {
      setup: withIntake,
      call: (c, id) => ({ method: 'GET', path: `${API}/appointments/${id}/intake`, who: c.doctor }),
      action: 'intake.read',
    },
    putIntake: {
      setup: withIntake,
      call: (c, id) => ({
        method: 'PUT',
        path: `${API}/appointments/${id}/intake`,
        who: c.patient,
        body: { answers: [{ linkId: 'reason', value: 'Cough' }] },
      }),
      action: 'intake.update',
    },
    submitIntake: {
      setup: withIntake,
      call: (c, id) => ({ method: 'POST', path: `${API}/appointments/${id}/intake/submit`, who: c.patient }),
      action: 'intake.submit',
    },
    stateVisitLocation: {
      setup: (c) => fixture(c, 'CONFIRMED'),
      call: (c, id) => ({
        method: 'POST',
        path: `${API}/appointments/${id}/visit/location`,
        who: c.patient,
        body: { country: 'US', region: 'US-AL' },
      }),
      action: 'visit_location.create',
    },
    acceptConsent: {
      setup: async (c) => {
        const res = await c.app.request('POST', `${API}/admin/consents/telehealth`, { token: c.admin.token, body: { text: 'Consent' } });
        assert.equal(res.status, 201, res.text);
        return res.body.version;
      },
      call: (c, version) => ({ method: 'POST', path: `${API}/me/consents`, who: c.patient, body: { type: 'telehealth', version } }),
      action: 'consent.create',
    },
    listMyConsents: { call: (c) => ({ method: 'GET', path: `${API}/me/consents`, who: c.patient }), action: 'consent.list' },
    // An answer copied into the clinical record: the entry's own event too (allergy.create), this one names the response.
    copyIntakeAnswer: {
      setup: async (c) => {
        const id = await withAnswers(c);
        const res = await c.app.request('POST', `${API}/appointments/${id}/intake/submit`, { token: c.patient.token });
        assert.equal(res.status, 200, res.text);
        return id;
      },
      call: (c, id) => ({
        method: 'POST',
        path: `${API}/appointments/${id}/intake/answers/reason/copy`,
        who: c.doctor,
        body: { into: 'problem' },
      }),
      action: 'intake.copy',
    },
    // The same answers and acceptances through FHIR (QuestionnaireResponse, Consent), audited as the REST reads.
    fhirReadQuestionnaireResponse: {
      setup: withAnswers,
      call: (c, id) => ({ method: 'GET', path: `/fhir/R4/QuestionnaireResponse/${id}`, who: c.patient }),
      action: 'intake.read',
    },
    fhirSearchQuestionnaireResponse: {
      setup: withAnswers,
      call: (c) => ({ method: 'GET', path: `/fhir/R4/QuestionnaireResponse?patient=${c.patient.id}`, who: c.doctor }),
      action: 'intake.list',
    },
    fhirReadConsent: {
      setup: accepted,
      call: (c, id) => ({ method: 'GET', path: `/fhir/R4/Consent/${id}`, who: c.doctor }),
      action: 'consent.read',
    },
    fhirSearchConsent: {
      setup: accepted,
      call: (c) => ({ method: 'GET', path: `/fhir/R4/Consent?patient=${c.patient.id}`, who: c.doctor }),
      action: 'consent.list',
    },
  };
}

/** The clinical record's operations: each list is called after an entry exists, so it discloses the patient. */
function clinicalCases(): Record<string, Case> {
  const base = (c: Ctx) => `${API}/patients/${c.patient.id}`;
  const entry = (path: string, body: unknown) => async (c: Ctx) => {
    const res = await c.app.request('POST', `${base(c)}/${path}`, { token: c.doctor.token, body });
    assert.equal(res.status, 201, res.text);
    return res.body.id as string;
  };
  const allergy = entry('allergies', { substance: { display: 'Latex' }, category: 'environment', criticality: 'low' });
  const medication = entry('medications', { medication: { display: 'Vitamin D' } });
  const problem = entry('problems', { condition: { display: 'Asthma' } });
  const draft = async (c: Ctx) => {
    const id = await fixture(c, 'CONFIRMED');
    const res = await c.app.request('PUT', `${API}/appointments/${id}/note`, { token: c.doctor.token, body: { subjective: 'Cough' } });
    assert.equal(res.status, 201, res.text);
    return id;
  };
  const signed = async (c: Ctx) => {
    const id = await draft(c);
    assert.equal((await c.app.request('POST', `${API}/appointments/${id}/note/sign`, { token: c.doctor.token })).status, 200);
    return id;
  };
  return {
    listAllergies: {
      setup: allergy,
      call: (c) => ({ method: 'GET', path: `${base(c)}/allergies`, who: c.doctor }),
      action: 'allergy.list',
    },
    createAllergy: {
      call: (c) => ({
        method: 'POST',
        path: `${base(c)}/allergies`,
        who: c.patient,
        body: { substance: { display: 'Peanut' }, category: 'food', criticality: 'high' },
      }),
      action: 'allergy.create',
    },
    updateAllergy: {
      setup: allergy,
      call: (c, id) => ({ method: 'PATCH', path: `${base(c)}/allergies/${id}`, who: c.doctor, body: { status: 'inactive' } }),
      action: 'allergy.update',
    },
    listMedications: {
      setup: medication,
      call: (c) => ({ method: 'GET', path: `${base(c)}/medications`, who: c.patient }),
      action: 'medication.list',
    },
    createMedication: {
      call: (c) => ({ method: 'POST', path: `${base(c)}/medications`, who: c.doctor, body: { medication: { display: 'Iron' } } }),
      action: 'medication.create',
    },
    updateMedication: {
      setup: medication,
      call: (c, id) => ({ method: 'PATCH', path: `${base(c)}/medications/${id}`, who: c.doctor, body: { status: 'stopped' } }),
      action: 'medication.update',
    },
    listProblems: { setup: problem, call: (c) => ({ method: 'GET', path: `${base(c)}/problems`, who: c.doctor }), action: 'problem.list' },
    createProblem: {
      call: (c) => ({ method: 'POST', path: `${base(c)}/problems`, who: c.doctor, body: { condition: { display: 'Migraine' } } }),
      action: 'problem.create',
    },
    updateProblem: {
      setup: problem,
      call: (c, id) => ({ method: 'PATCH', path: `${base(c)}/problems/${id}`, who: c.doctor, body: { clinicalStatus: 'resolved' } }),
      action: 'problem.update',
    },
    putVisitNote: {
      setup: (c) => fixture(c, 'CONFIRMED'),
      call: (c, id) => ({ method: 'PUT', path: `${API}/appointments/${id}/note`, who: c.doctor, body: { plan: 'Rest' } }),
      action: 'note.update',
    },
    signVisitNote: {
      setup: draft,
      call: (c, id) => ({ method: 'POST', path: `${API}/appointments/${id}/note/sign`, who: c.doctor }),
      action: 'note.sign',
    },
    addVisitNoteAddendum: {
      setup: signed,
      call: (c, id) => ({ method: 'POST', path: `${API}/appointments/${id}/note/addenda`, who: c.doctor, body: { text: 'Correction' } }),
      action: 'note.addendum.create',
    },
    getVisitNote: {
      setup: signed,
      call: (c, id) => ({ method: 'GET', path: `${API}/appointments/${id}/note`, who: c.patient }),
      action: 'note.read',
    },
    listVisitNotes: { setup: signed, call: (c) => ({ method: 'GET', path: `${base(c)}/notes`, who: c.patient }), action: 'note.list' },
    listMyNoteTodos: {
      setup: async (c) => {
        const id = await fixture(c, 'CONFIRMED', past(2));
        await c.app.database.rows(sql`UPDATE appointments SET status = 'COMPLETED' WHERE id = ${id}`);
      },
      call: (c) => ({ method: 'GET', path: `${API}/doctors/me/note-todos`, who: c.doctor }),
      action: 'note.todo.list',
    },
    // The same record through FHIR: read by id and search by patient, audited as the REST reads.
    ...fhirClinical('AllergyIntolerance', allergy, 'allergy'),
    ...fhirClinical('MedicationStatement', medication, 'medication'),
    ...fhirClinical('Condition', problem, 'problem'),
    ...fhirClinical('Encounter', signed, 'note'),
    ...fhirClinical('Composition', signed, 'note'),
  };
}

function fhirClinical(type: string, setup: (c: Ctx) => Promise<string>, event: string): Record<string, Case> {
  return {
    [`fhirRead${type}`]: {
      setup,
      call: (c, id) => ({ method: 'GET', path: `/fhir/R4/${type}/${id}`, who: c.patient }),
      action: `${event}.read`,
    },
    [`fhirSearch${type}`]: {
      setup,
      call: (c) => ({ method: 'GET', path: `/fhir/R4/${type}?patient=${c.patient.id}`, who: c.doctor }),
      action: `${event}.list`,
    },
  };
}

/** The context's patient waits for another doctor's freed slot; returns the offer they are sent. */
async function offered(c: Ctx, hour: number): Promise<string> {
  const slot = slotAt(hour);
  const { doctor, appointmentId, holder } = await bookedDoctor(c.app, slot);
  await joined(c.app, c.patient, doctor.id);
  const ws = await socket(c.app, c.patient);
  try {
    assert.equal((await cancel(c.app, holder, appointmentId)).status, 200);
    return (await offerEvent(ws, slot)).id;
  } finally {
    closeAll(ws);
  }
}

type Operation = { method: string; path: string; operationId: string; schemas: unknown[] };

async function operations(app: TestApp): Promise<{ ops: Operation[]; components: Record<string, unknown> }> {
  const res = await app.request('GET', '/openapi.json');
  assert.equal(res.status, 200);
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries<Record<string, any>>(res.body.paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      if (!op?.operationId) continue;
      const schemas = Object.entries<any>(op.responses ?? {})
        .filter(([code]) => code.startsWith('2'))
        .flatMap(([, r]) => Object.values<any>(r.content ?? {}).map((c) => c.schema));
      ops.push({ method: method.toUpperCase(), path, operationId: op.operationId, schemas });
    }
  }
  return { ops, components: res.body.components?.schemas ?? {} };
}

test('every operation of the OpenAPI document is classified: patient data (with its audit event) or not', async (t) => {
  const app = await waitlistApp(t);
  const { ops, components } = await operations(app);
  const ids = ops.map((o) => o.operationId);
  const unclassified = ids.filter((id) => !(id in CASES) && !(id in NO_PATIENT_DATA));
  assert.deepEqual(unclassified, [], 'classify these operations in CASES (with their audit event) or NO_PATIENT_DATA');
  const both = ids.filter((id) => id in CASES && id in NO_PATIENT_DATA);
  assert.deepEqual(both, []);
  const stale = [...Object.keys(CASES), ...Object.keys(NO_PATIENT_DATA)].filter((id) => !ids.includes(id));
  assert.deepEqual(stale, [], 'classified operations that no longer exist');
  const misfiled = ops.filter((o) => o.operationId in NO_PATIENT_DATA && o.schemas.some((s) => carriesPatientData(s, components)));
  assert.deepEqual(
    misfiled.map((o) => o.operationId),
    [],
    'these answer with patient data by their schema',
  );
});

test('every operation that can return or change patient data writes its audit event naming the patient', async (t) => {
  const app = await waitlistApp(t);
  const [doctor, patient, admin] = [
    await createDoctor(app),
    await createPatient(app, { body: { medicalHistory: 'Asthma since childhood' } }),
    await createAdminUser(app),
  ];
  const ctx: Ctx = { app, doctor, patient, admin, appointmentId: '', prescriptionId: '', messageId: '' };
  ctx.appointmentId = await fixture(ctx, 'CONFIRMED');
  const rx = await app.request('POST', `${API}/prescriptions`, {
    token: doctor.token,
    body: { appointmentId: ctx.appointmentId, items: [item()] },
  });
  assert.equal(rx.status, 201, rx.text);
  ctx.prescriptionId = rx.body.id;
  const msg = await app.request('POST', `${API}/conversations/${doctor.id}/messages`, { token: patient.token, body: { body: 'Hello' } });
  assert.equal(msg.status, 201, msg.text);
  ctx.messageId = msg.body.id;

  const { ops } = await operations(app);
  const failures: string[] = [];
  for (const op of ops) {
    const c = CASES[op.operationId];
    if (!c) continue;
    let prepared: unknown;
    try {
      prepared = await c.setup?.(ctx);
    } catch (err) {
      failures.push(`${op.operationId}: set-up failed: ${(err as Error).message}`);
      continue;
    }
    const call = c.call(ctx, prepared);
    const { res, events } = await audited(app, call.method, call.path, {
      token: call.who?.token,
      body: call.body,
      rawBody: call.rawBody,
      headers: call.headers,
    });
    if (res.status >= 300) {
      failures.push(`${op.operationId}: ${call.method} ${call.path} answered ${res.status} ${res.text.slice(0, 200)}`);
      continue;
    }
    const patientId = c.patientId ? c.patientId(ctx, res, prepared) : ctx.patient.id;
    const resourceId = c.resourceId?.(ctx, res, prepared);
    const hit = events.find(
      (e) =>
        e.action === c.action &&
        e.outcome === 'SUCCESS' &&
        e.patient_id === patientId &&
        (resourceId === undefined || e.resource_id === resourceId),
    );
    if (!hit) {
      const got = events.map((e) => `${e.action}(patient ${e.patient_id})`).join(', ') || 'no event';
      failures.push(`${op.operationId}: ${call.method} ${call.path} wrote ${got}; expected ${c.action} naming patient ${patientId}`);
    }
  }
  assert.deepEqual(failures, []);
});
