import type { FastifyPluginAsync } from 'fastify';
import type { TSchema } from 'typebox';
import authRoutes from './auth/routes.ts';
import doctorRoutes from './doctors/routes.ts';
import patientRoutes from './patients/routes.ts';
import appointmentRoutes from './appointments/routes.ts';
import prescriptionRoutes from './prescriptions/routes.ts';
import postRoutes from './posts/routes.ts';
import messageRoutes from './messages/routes.ts';
import { MessageSchema } from './messages/schemas.ts';
import { realtimeRoutes } from '../platform/websocket.ts';
import adminRoutes from './admin/routes.ts';
import auditRoutes from './audit/routes.ts';
import notificationRoutes from './notifications/routes.ts';
import waitlistRoutes from './waitlist/routes.ts';
import visitRoutes from './visits/routes.ts';
import exportRoutes from './export/routes.ts';
import { UserSchema } from './auth/schemas.ts';
import { PatientSchema } from './patients/schemas.ts';
import { DoctorPrivateSchema, DoctorPublicSchema } from './doctors/schemas.ts';
import { AppointmentSchema } from './appointments/schemas.ts';

/** Every module's routes, each mounted under /api/v1 (a module's URLs are spelled out in its routes.ts). */
export const modules: FastifyPluginAsync[] = [
  authRoutes,
  doctorRoutes,
  patientRoutes,
  appointmentRoutes,
  prescriptionRoutes,
  postRoutes,
  messageRoutes,
  realtimeRoutes,
  adminRoutes,
  auditRoutes,
  notificationRoutes,
  waitlistRoutes,
  visitRoutes,
  exportRoutes,
];

/** Schemas with an $id, registered once and referenced with Type.Ref('Name') from any module. */
export const sharedSchemas: TSchema[] = [
  UserSchema,
  PatientSchema,
  DoctorPublicSchema,
  DoctorPrivateSchema,
  MessageSchema,
  AppointmentSchema,
];
