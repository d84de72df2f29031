// Every screen, one file each, loaded on demand so a page ships only its own code. The pages themselves (path
// and who may open them) come from the server's one page table (src/platform/portal-pages.ts, generated into
// ./api/pages.ts), which its static serving and the mail links use too: a new page is a line there, then
// its screen here (the type below refuses a page without a screen).
import { lazy } from 'preact-iso';
import type { ComponentType } from 'preact';
import type { User } from './api/client';
import { PORTAL_PAGES, type PortalPageName } from './api/pages';

type Role = User['role'];
export interface ScreenRoute {
  path: string;
  component: ComponentType<any>;
  /** Who may open it; absent: anyone, signed in or not. */
  roles?: readonly Role[];
}

const page = (load: () => Promise<{ default: ComponentType<any> }>) => lazy(load);

const screens: Record<PortalPageName, ComponentType<any>> = {
  home: page(() => import('./pages/public/Home')),
  signIn: page(() => import('./pages/public/SignIn')),
  signUp: page(() => import('./pages/public/SignUp')),
  verifyEmail: page(() => import('./pages/public/VerifyEmail')),
  forgotPassword: page(() => import('./pages/public/ForgotPassword')),
  resetPassword: page(() => import('./pages/public/ResetPassword')),
  confirmEmail: page(() => import('./pages/public/ConfirmEmail')),
  doctors: page(() => import('./pages/public/Doctors')),
  doctor: page(() => import('./pages/public/DoctorProfile')),
  articles: page(() => import('./pages/public/Articles')),
  article: page(() => import('./pages/public/Article')),
  account: page(() => import('./pages/public/Account')),
  notifications: page(() => import('./pages/shared/Notifications')),
  appointment: page(() => import('./pages/shared/AppointmentPage')),
  waitlist: page(() => import('./pages/patient/WaitlistPage')),
  verifyPrescription: page(() => import('./pages/public/VerifyPrescription')),
  visitGuest: page(() => import('./pages/guest/GuestVisit')),

  patientAppointments: page(() => import('./pages/patient/Appointments')),
  patientMessages: page(() => import('./pages/patient/Messages')),
  patientConversation: page(() => import('./pages/patient/Messages')),
  patientVisit: page(() => import('./pages/shared/Visit')),
  patientPrescriptions: page(() => import('./pages/patient/Prescriptions')),
  patientAccessLog: page(() => import('./pages/patient/AccessLog')),
  patientRecord: page(() => import('./pages/patient/Record')),

  doctorAgenda: page(() => import('./pages/doctor/Agenda')),
  doctorVisit: page(() => import('./pages/shared/Visit')),
  doctorSettings: page(() => import('./pages/doctor/Settings')),
  doctorAvailability: page(() => import('./pages/doctor/Availability')),
  doctorPatients: page(() => import('./pages/doctor/Patients')),
  doctorPatient: page(() => import('./pages/doctor/PatientRecord')),
  doctorMessages: page(() => import('./pages/doctor/Messages')),
  doctorConversation: page(() => import('./pages/doctor/Messages')),
  doctorPosts: page(() => import('./pages/doctor/Posts')),
  doctorPost: page(() => import('./pages/doctor/PostEditor')),

  adminDoctors: page(() => import('./pages/admin/Doctors')),
  adminUsers: page(() => import('./pages/admin/Users')),
  adminAudit: page(() => import('./pages/admin/Audit')),
  adminClinic: page(() => import('./pages/admin/Clinic')),
};

export const routes: ScreenRoute[] = (Object.keys(PORTAL_PAGES) as PortalPageName[]).map((name) => {
  const p: { path: string; roles?: readonly Role[] } = PORTAL_PAGES[name];
  return { path: p.path, roles: p.roles, component: screens[name] };
});

/** A page's path with its `:params` filled in, e.g. `pagePath('appointment', { id })`. */
export function pagePath(name: PortalPageName, params: Record<string, string> = {}): string {
  return PORTAL_PAGES[name].path.replace(/:([A-Za-z]+)/g, (_, k: string) => encodeURIComponent(params[k] ?? ''));
}

/** Where each role lands after signing in, and its menu. */
export const menus: Record<Role, Array<[string, string]>> = {
  PATIENT: [
    ['/doctors', 'nav.findDoctor'],
    ['/patient/appointments', 'nav.appointments'],
    ['/patient/messages', 'nav.messages'],
    ['/patient/prescriptions', 'nav.prescriptions'],
    ['/patient/record', 'nav.record'],
    ['/articles', 'nav.articles'],
    ['/patient/access-log', 'nav.accessLog'],
    ['/account', 'nav.account'],
  ],
  DOCTOR: [
    ['/doctor/agenda', 'nav.agenda'],
    ['/doctor/availability', 'nav.availability'],
    ['/doctor/patients', 'nav.patients'],
    ['/doctor/messages', 'nav.messages'],
    ['/doctor/posts', 'nav.posts'],
    ['/doctor/settings', 'nav.settings'],
    ['/account', 'nav.account'],
  ],
  ADMIN: [
    ['/admin/doctors', 'nav.doctors'],
    ['/admin/users', 'nav.users'],
    ['/admin/audit', 'nav.auditTrail'],
    ['/admin/clinic', 'nav.clinic'],
    ['/account', 'nav.account'],
  ],
};
