// The portal's pages, in one table: the server serves index.html under their first segments (static.ts),
// mails and calendar entries link to them (portalUrl), and the portal's router maps each name to a screen
// (web/src/routes.tsx, through web/src/api/pages.ts, which `npm run openapi` generates from this table; a
// test fails while it is stale). A page a mail links to must exist here, so its link cannot answer a 404.

export type PortalRole = 'PATIENT' | 'DOCTOR' | 'ADMIN';
export interface PortalPage {
  path: string;
  /** Who may open it; absent: anyone, signed in or not. A signed-out visitor is sent to sign in first. */
  roles?: readonly PortalRole[];
}

const SIGNED_IN = ['PATIENT', 'DOCTOR', 'ADMIN'] as const;

export const PORTAL_PAGES = {
  home: { path: '/' },
  signIn: { path: '/signin' },
  signUp: { path: '/signup' },
  verifyEmail: { path: '/verify-email' },
  forgotPassword: { path: '/forgot-password' },
  resetPassword: { path: '/reset-password' },
  // Linked from the mail to a new address (POST /me/email): opens without sign-in, like the two above.
  confirmEmail: { path: '/confirm-email' },
  doctors: { path: '/doctors' },
  doctor: { path: '/doctors/:id' },
  articles: { path: '/articles' },
  article: { path: '/articles/:id' },
  account: { path: '/account', roles: SIGNED_IN },
  // The notification list (the bell in the header): entries link to the pages below.
  notifications: { path: '/notifications', roles: SIGNED_IN },
  // Linked from every appointment mail and calendar entry: one address for both parties.
  appointment: { path: '/appointments/:id', roles: SIGNED_IN },
  // Linked from the waitlist offer mail.
  waitlist: { path: '/waitlist', roles: ['PATIENT'] },
  // Printed on every prescription (its QR-less link): a pharmacist checks the paper, signed out.
  verifyPrescription: { path: '/verify/prescription' },
  // A visit guest's page, from the single-use link the patient or doctor shares (its token in the fragment): no account.
  visitGuest: { path: '/visit/guest' },

  patientAppointments: { path: '/patient/appointments', roles: ['PATIENT'] },
  patientMessages: { path: '/patient/messages', roles: ['PATIENT'] },
  patientConversation: { path: '/patient/messages/:userId', roles: ['PATIENT'] },
  patientVisit: { path: '/patient/visits/:id', roles: ['PATIENT'] },
  patientPrescriptions: { path: '/patient/prescriptions', roles: ['PATIENT'] },
  patientAccessLog: { path: '/patient/access-log', roles: ['PATIENT'] },
  patientRecord: { path: '/patient/record', roles: ['PATIENT'] },

  doctorAgenda: { path: '/doctor/agenda', roles: ['DOCTOR'] },
  doctorVisit: { path: '/doctor/visits/:id', roles: ['DOCTOR'] },
  doctorSettings: { path: '/doctor/settings', roles: ['DOCTOR'] },
  doctorAvailability: { path: '/doctor/availability', roles: ['DOCTOR'] },
  doctorPatients: { path: '/doctor/patients', roles: ['DOCTOR'] },
  doctorPatient: { path: '/doctor/patients/:id', roles: ['DOCTOR'] },
  doctorMessages: { path: '/doctor/messages', roles: ['DOCTOR'] },
  doctorConversation: { path: '/doctor/messages/:userId', roles: ['DOCTOR'] },
  doctorPosts: { path: '/doctor/posts', roles: ['DOCTOR'] },
  doctorPost: { path: '/doctor/posts/:id', roles: ['DOCTOR'] },

  adminDoctors: { path: '/admin/doctors', roles: ['ADMIN'] },
  adminUsers: { path: '/admin/users', roles: ['ADMIN'] },
  adminAudit: { path: '/admin/audit', roles: ['ADMIN'] },
  adminClinic: { path: '/admin/clinic', roles: ['ADMIN'] },
} as const satisfies Record<string, PortalPage>;

export type PortalPageName = keyof typeof PORTAL_PAGES;

/** The path of a page with its `:params` filled in (encoded) and an optional query. */
export function portalPath(name: PortalPageName, params: Record<string, string> = {}, query: Record<string, string> = {}): string {
  const path = PORTAL_PAGES[name].path.replace(/:([A-Za-z]+)/g, (_, k: string) => {
    if (params[k] === undefined) throw new Error(`portal page ${name} needs :${k}`);
    return encodeURIComponent(params[k]);
  });
  const q = new URLSearchParams(query).toString();
  return q ? `${path}?${q}` : path;
}

/** The absolute address of a page under the public URL, as mails and calendar entries carry it. */
export function portalUrl(
  publicUrl: string,
  name: PortalPageName,
  params?: Record<string, string>,
  query?: Record<string, string>,
): string {
  return `${publicUrl.replace(/\/+$/, '')}${portalPath(name, params, query)}`;
}

/** First path segments the portal owns: the server answers index.html under each (and nothing else). */
export const PORTAL_PREFIXES: string[] = [
  ...new Set(Object.values(PORTAL_PAGES).map((p: PortalPage) => (p.path === '/' ? '/' : `/${p.path.split('/')[1]}`))),
];
