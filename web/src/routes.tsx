// Every screen, one file each, loaded on demand so a page ships only its own code. A new screen is one
// line here (paths must stay under the prefixes the server serves: src/platform/static.ts PORTAL_ROUTES).
import { lazy } from 'preact-iso';
import type { ComponentType } from 'preact';
import type { User } from './api/client';

type Role = User['role'];
export interface ScreenRoute {
  path: string;
  component: ComponentType<any>;
  /** Who may open it; absent: anyone, signed in or not. */
  roles?: Role[];
}

const page = (load: () => Promise<{ default: ComponentType<any> }>) => lazy(load);

export const routes: ScreenRoute[] = [
  { path: '/', component: page(() => import('./pages/public/Home')) },
  { path: '/signin', component: page(() => import('./pages/public/SignIn')) },
  { path: '/signup', component: page(() => import('./pages/public/SignUp')) },
  { path: '/verify-email', component: page(() => import('./pages/public/VerifyEmail')) },
  { path: '/forgot-password', component: page(() => import('./pages/public/ForgotPassword')) },
  { path: '/reset-password', component: page(() => import('./pages/public/ResetPassword')) },
  { path: '/doctors', component: page(() => import('./pages/public/Doctors')) },
  { path: '/doctors/:id', component: page(() => import('./pages/public/DoctorProfile')) },
  { path: '/articles', component: page(() => import('./pages/public/Articles')) },
  { path: '/articles/:id', component: page(() => import('./pages/public/Article')) },
  { path: '/account', component: page(() => import('./pages/public/Account')), roles: ['PATIENT', 'DOCTOR', 'ADMIN'] },

  { path: '/patient/appointments', component: page(() => import('./pages/patient/Appointments')), roles: ['PATIENT'] },
  { path: '/patient/messages', component: page(() => import('./pages/patient/Messages')), roles: ['PATIENT'] },
  { path: '/patient/messages/:userId', component: page(() => import('./pages/patient/Messages')), roles: ['PATIENT'] },
  { path: '/patient/visits/:id', component: page(() => import('./pages/shared/Visit')), roles: ['PATIENT'] },
  { path: '/patient/prescriptions', component: page(() => import('./pages/patient/Prescriptions')), roles: ['PATIENT'] },
  { path: '/patient/access-log', component: page(() => import('./pages/patient/AccessLog')), roles: ['PATIENT'] },

  { path: '/doctor/agenda', component: page(() => import('./pages/doctor/Agenda')), roles: ['DOCTOR'] },
  { path: '/doctor/visits/:id', component: page(() => import('./pages/shared/Visit')), roles: ['DOCTOR'] },
  { path: '/doctor/settings', component: page(() => import('./pages/doctor/Settings')), roles: ['DOCTOR'] },
  { path: '/doctor/availability', component: page(() => import('./pages/doctor/Availability')), roles: ['DOCTOR'] },
  { path: '/doctor/patients', component: page(() => import('./pages/doctor/Patients')), roles: ['DOCTOR'] },
  { path: '/doctor/patients/:id', component: page(() => import('./pages/doctor/PatientRecord')), roles: ['DOCTOR'] },
  { path: '/doctor/messages', component: page(() => import('./pages/doctor/Messages')), roles: ['DOCTOR'] },
  { path: '/doctor/messages/:userId', component: page(() => import('./pages/doctor/Messages')), roles: ['DOCTOR'] },
  { path: '/doctor/posts', component: page(() => import('./pages/doctor/Posts')), roles: ['DOCTOR'] },
  { path: '/doctor/posts/:id', component: page(() => import('./pages/doctor/PostEditor')), roles: ['DOCTOR'] },

  { path: '/admin/doctors', component: page(() => import('./pages/admin/Doctors')), roles: ['ADMIN'] },
  { path: '/admin/users', component: page(() => import('./pages/admin/Users')), roles: ['ADMIN'] },
  { path: '/admin/audit', component: page(() => import('./pages/admin/Audit')), roles: ['ADMIN'] },
];

/** Where each role lands after signing in, and its menu. */
export const menus: Record<Role, Array<[string, string]>> = {
  PATIENT: [
    ['/doctors', 'Find a doctor'],
    ['/patient/appointments', 'Appointments'],
    ['/patient/messages', 'Messages'],
    ['/patient/prescriptions', 'Prescriptions'],
    ['/articles', 'Articles'],
    ['/patient/access-log', 'Access log'],
    ['/account', 'Account'],
  ],
  DOCTOR: [
    ['/doctor/agenda', 'Agenda'],
    ['/doctor/availability', 'Availability'],
    ['/doctor/patients', 'Patients'],
    ['/doctor/messages', 'Messages'],
    ['/doctor/posts', 'Posts'],
    ['/doctor/settings', 'Settings'],
    ['/account', 'Account'],
  ],
  ADMIN: [
    ['/admin/doctors', 'Doctors'],
    ['/admin/users', 'Users'],
    ['/admin/audit', 'Audit trail'],
    ['/account', 'Account'],
  ],
};
