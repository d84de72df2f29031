import type { FastifyPluginAsync } from 'fastify';
import type { TSchema } from 'typebox';
import authRoutes from './auth/routes.ts';
import accountRoutes from './accounts/routes.ts';
import doctorRoutes from './doctors/routes.ts';
import patientRoutes from './patients/routes.ts';
import appointmentRoutes from './appointments/routes.ts';
import prescriptionRoutes from './prescriptions/routes.ts';
import postRoutes from './posts/routes.ts';
import messageRoutes from './messages/routes.ts';
import { MessageSchema } from './messages/schemas.ts';
import realtimeRoutes from './realtime/routes.ts';
export { frameComponents } from './realtime/events.ts';
import fhirRoutes from './fhir/routes.ts';
import adminRoutes from './admin/routes.ts';
import auditRoutes from './audit/routes.ts';
import notificationRoutes from './notifications/routes.ts';
import waitlistRoutes from './waitlist/routes.ts';
import visitRoutes from './visits/routes.ts';
import exportRoutes from './export/routes.ts';
import clinicalRoutes from './clinical/routes.ts';
import attachmentRoutes from './attachments/routes.ts';
import { AttachmentSchema } from './attachments/schemas.ts';
import intakeRoutes from './intake/routes.ts';
import inboxRoutes from './inbox/routes.ts';
import { NotificationSchema } from './inbox/schemas.ts';
import clinicRoutes from './clinic/routes.ts';
import { Clinic as ClinicSchema } from './clinic/schemas.ts';
import { UserSchema } from './auth/schemas.ts';
import { PatientSchema } from './patients/schemas.ts';
import { DoctorPrivateSchema, DoctorPublicSchema } from './doctors/schemas.ts';
import { AppointmentSchema } from './appointments/schemas.ts';
import type { HookRegistry } from '../platform/hooks.ts';
import type { ConstraintErrors } from '../platform/http.ts';
import { constraintErrors as identityConstraints } from './auth/index.ts';
import { createHooks as doctorHooks } from './doctors/index.ts';
import { createHooks as appointmentHooks, constraintErrors as bookingConstraints } from './appointments/index.ts';
import { service as notifications } from './notifications/index.ts';
import { offerFreedTime, offerOpenedAvailability } from './waitlist/index.ts';
import { createHooks as visitHooks } from './visits/index.ts';
import { createHooks as clinicalHooks } from './clinical/index.ts';
import { latestVisitLocation, visitGate } from './intake/index.ts';

/**
 * The hooks of one platform, subscribed: buildApp calls this once per app and puts the result on the
 * platform (`p.hooks`), then checks every hook has its subscriber (assertWired). Dependencies between
 * modules run one way (docs/architecture.md): where an upstream module's change must start work
 * downstream, it runs a hook and the downstream module is subscribed here. A script that builds no app has
 * no platform, hence no hooks to run half-wired.
 */
export function createHooks(): HookRegistry {
  const hooks: HookRegistry = {
    doctors: doctorHooks(),
    appointments: appointmentHooks(),
    visits: visitHooks(),
    clinical: clinicalHooks(),
  };
  hooks.doctors.availabilityReplaced.subscribe(offerOpenedAvailability);
  hooks.doctors.timeOffRemoved.subscribe(offerFreedTime);
  // On cancel and reschedule: the waitlist holds the freed time first, then the parties are mailed.
  hooks.appointments.timeFreed.subscribe(offerFreedTime);
  hooks.appointments.changed.subscribe(notifications.appointmentChanged);
  hooks.appointments.bookingNotices.provide(notifications.bookingNotices);
  // Before the patient joins a video visit: the telehealth consent and the stated location (intake).
  hooks.visits.gate.provide(visitGate);
  // The visit note shows where the patient said they were, and keeps it once signed (intake).
  hooks.clinical.patientLocation.provide(latestVisitLocation);
  return hooks;
}

/**
 * Constraint violations that are the client's conflict, as each table's owner declares them (its module's
 * `constraintErrors`): buildApp hands them to the platform's error mapper.
 */
export const constraintErrors: ConstraintErrors = { ...identityConstraints, ...bookingConstraints };

/** A feature module's HTTP surface: its routes.ts plugin, mounted under `prefix`. */
export interface ModuleRoutes {
  /** The folder under src/modules/ whose routes.ts spells out every URL listed for it in docs/routes.md. */
  name: string;
  prefix: string;
  routes: FastifyPluginAsync;
}

const API = '/api/v1';

/** Every module's routes, in registration order (docs/routes.md, generated from this list, names each URL's file). */
export const modules: ModuleRoutes[] = [
  { name: 'auth', prefix: API, routes: authRoutes },
  { name: 'clinic', prefix: API, routes: clinicRoutes },
  { name: 'accounts', prefix: API, routes: accountRoutes },
  { name: 'doctors', prefix: API, routes: doctorRoutes },
  { name: 'patients', prefix: API, routes: patientRoutes },
  { name: 'appointments', prefix: API, routes: appointmentRoutes },
  { name: 'prescriptions', prefix: API, routes: prescriptionRoutes },
  { name: 'posts', prefix: API, routes: postRoutes },
  { name: 'messages', prefix: API, routes: messageRoutes },
  { name: 'attachments', prefix: API, routes: attachmentRoutes },
  { name: 'realtime', prefix: API, routes: realtimeRoutes },
  { name: 'admin', prefix: API, routes: adminRoutes },
  { name: 'audit', prefix: API, routes: auditRoutes },
  { name: 'notifications', prefix: API, routes: notificationRoutes },
  { name: 'waitlist', prefix: API, routes: waitlistRoutes },
  { name: 'visits', prefix: API, routes: visitRoutes },
  { name: 'export', prefix: API, routes: exportRoutes },
  { name: 'clinical', prefix: API, routes: clinicalRoutes },
  { name: 'intake', prefix: API, routes: intakeRoutes },
  { name: 'inbox', prefix: API, routes: inboxRoutes },
  // FHIR R4 read API beside the REST API: same guards, services and audit; OperationOutcome errors.
  { name: 'fhir', prefix: '/fhir/R4', routes: fhirRoutes },
];

/** Schemas with an $id, registered once and referenced with Type.Ref('Name') from any module. */
export const sharedSchemas: TSchema[] = [
  UserSchema,
  PatientSchema,
  DoctorPublicSchema,
  DoctorPrivateSchema,
  AttachmentSchema,
  MessageSchema,
  AppointmentSchema,
  NotificationSchema,
  ClinicSchema,
];
