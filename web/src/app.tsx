import { ErrorBoundary, LocationProvider, Router, Route, useLocation } from 'preact-iso';
import { useEffect, useState } from 'preact/hooks';
import type { ComponentType } from 'preact';
import { session } from './session';
import { menus, routes, type ScreenRoute } from './routes';
import NotFound from './pages/public/NotFound';
import { NowVisits } from './components/NowVisits';
import { NotificationBell, PendingDoctorsBadge } from './components/NotificationBell';
import { currentLocale, onLocaleChange, t } from './i18n';
import { QueryClientProvider } from '@tanstack/preact-query';
import { queryClient } from './query';
import { clinic, clinicName, onClinicChange } from './clinic';

export function useSession() {
  const [, setTick] = useState(0);
  useEffect(() => session.subscribe(() => setTick((t) => t + 1)), []);
  return session;
}

function Guard({ route, props }: { route: ScreenRoute; props: Record<string, unknown> }) {
  const s = useSession();
  const { url, route: go } = useLocation();
  const Screen = route.component as ComponentType<any>;
  const allowed = !route.roles || (s.me && route.roles.includes(s.me.user.role));
  useEffect(() => {
    // While the sign-in page loads this screen stays mounted and sees the sign-in URL: never send it there twice.
    if (s.ready && route.roles && !s.me && !url.startsWith('/signin')) go(`/signin?next=${encodeURIComponent(url)}`, true);
  }, [s.ready, s.me, url]);
  if (route.roles && !s.ready) return <p aria-busy="true">{t('shell.loading')}</p>;
  if (!allowed) return s.me ? <p role="alert">{t('shell.notAvailable')}</p> : null;
  const pendingDoctor = s.me?.doctor && s.me.doctor.verificationStatus !== 'VERIFIED' && route.path.startsWith('/doctor');
  return (
    <>
      {pendingDoctor && (
        <div class="banner warning" role="status">
          {s.me!.doctor!.verificationStatus === 'PENDING'
            ? t('shell.doctorPending')
            : s.me!.doctor!.verificationNote
              ? t('shell.doctorRejectedNote', { note: s.me!.doctor!.verificationNote })
              : t('shell.doctorRejected')}
        </div>
      )}
      <Screen {...props} />
    </>
  );
}

function Header() {
  const s = useSession();
  const [, setBrandTick] = useState(0);
  useEffect(() => onClinicChange(() => setBrandTick((n) => n + 1)), []);
  const logoUrl = clinic()?.logoUrl;
  const { route } = useLocation();
  const [open, setOpen] = useState(false);
  const role = s.me?.user.role;
  const items = role
    ? menus[role]
    : [
        ['/doctors', 'nav.findDoctor'],
        ['/articles', 'nav.articles'],
      ];
  return (
    <header class="top">
      <a class="skip" href="#main">
        {t('shell.skip')}
      </a>
      <a class="brand" href="/">
        {logoUrl && <img src={logoUrl} alt="" />}
        <span>{clinicName()}</span>
      </a>
      {s.me && <NotificationBell />}
      <button class="menu-toggle" aria-expanded={open} aria-controls="main-nav" onClick={() => setOpen(!open)}>
        {t('shell.menu')}
      </button>
      <nav id="main-nav" aria-label={t('shell.mainNav')} class={open ? 'open' : ''} onClick={() => setOpen(false)}>
        <ul>
          {items.map(([href, label]) => (
            <li key={href}>
              <a href={href}>
                {t(label)}
                {role === 'ADMIN' && href === '/admin/doctors' && <PendingDoctorsBadge />}
              </a>
            </li>
          ))}
        </ul>
        {s.me ? (
          <button
            class="link"
            onClick={async () => {
              await s.signOut();
              route('/signin');
            }}
          >
            {t('shell.signOut')}
          </button>
        ) : (
          <span class="auth-links">
            <a href="/signin">{t('shell.signIn')}</a> <a href="/signup">{t('shell.signUp')}</a>
          </span>
        )}
      </nav>
    </header>
  );
}

/** Moves focus to the new page's heading after client-side navigation, as a full page load would. */
function FocusOnNavigate() {
  const { url } = useLocation();
  const [first, setFirst] = useState(true);
  useEffect(() => {
    if (first) return setFirst(false);
    const t = setTimeout(() => document.querySelector<HTMLElement>('main h1')?.focus(), 50);
    return () => clearTimeout(t);
  }, [url]);
  return null;
}

// Built once, so navigating never remounts a screen's wrapper.
const screens = routes.map((r) => ({ path: r.path, component: (props: Record<string, unknown>) => <Guard route={r} props={props} /> }));

export function App() {
  // A change of language re-renders every screen in it (the catalogue is read at render).
  const [locale, setLocale] = useState(currentLocale());
  useEffect(() => onLocaleChange(() => setLocale(currentLocale())), []);
  return (
    <QueryClientProvider client={queryClient}>
      <LocationProvider>
        <Header />
        <NowVisits />
        <FocusOnNavigate />
        <main id="main" tabIndex={-1} data-locale={locale}>
          <ErrorBoundary onError={(e) => console.error(e)}>
            <Router>
              {[
                ...screens.map((r) => <Route key={r.path} path={r.path} component={r.component} />),
                <Route key="404" default component={NotFound} />,
              ]}
            </Router>
          </ErrorBoundary>
        </main>
      </LocationProvider>
    </QueryClientProvider>
  );
}
