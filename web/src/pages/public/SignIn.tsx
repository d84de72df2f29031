import { useLocation } from 'preact-iso';
import { api } from '../../api/client';
import { Field, formValues, Notice, Page, ProblemBanner, useAction } from '../../components/ui';
import { session } from '../../session';
import { useSession } from '../../app';
import { landingPath } from '../../landing';
import { t } from '../../i18n';

/**
 * A `?next=` the portal may follow after sign-in: a path of this origin, or null (the caller lands on their
 * home page). `//host`, `/\host` (which the URL parser reads as `//host`) and absolute URLs are refused here:
 * handed to the router they would leave the origin, or throw in pushState and leave the page stuck on sign-in.
 */
export function portalPath(next: string | undefined): string | null {
  if (!next?.startsWith('/') || next.startsWith('//') || next.includes('\\')) return null;
  try {
    const url = new URL(next, location.origin);
    return url.origin === location.origin ? url.pathname + url.search + url.hash : null;
  } catch {
    return null;
  }
}

const reasons = {
  'signed-out': 'signin.signedOut',
  expired: 'signin.expired',
  suspended: 'signin.suspended',
  closed: 'signin.closed',
} as const;

export default function SignIn() {
  const s = useSession();
  const { route, query } = useLocation();
  const { problem, busy, run } = useAction();
  const submit = async (e: Event) => {
    const v = formValues(e);
    const r = await run(() =>
      api.POST('/api/v1/auth/login', { body: { login: v.login ?? '', password: v.password ?? '', session: 'cookie' } }),
    );
    if (!r.ok || !r.data) return;
    session.accessToken = r.data.accessToken;
    // Where to go is decided before the signed-in shell shows, so nothing clicked meanwhile is overridden.
    const to = portalPath(query.next) ?? (await landingPath(r.data.user.role));
    await session.loadMe();
    if (!session.me) return;
    session.signedIn(r.data.accessToken, session.me);
    route(to);
  };
  return (
    <Page title={t('signin.title')}>
      {s.reason && s.reason !== 'signed-out' && (
        <div class={`banner ${s.reason === 'suspended' ? 'error' : 'info'}`} role={s.reason === 'closed' ? 'status' : 'alert'}>
          {t(reasons[s.reason])}
        </div>
      )}
      {query.verified && <Notice kind="success">{t('signin.verified')}</Notice>}
      {query.reset && <Notice kind="success">{t('signin.passwordChanged')}</Notice>}
      <ProblemBanner problem={problem} />
      <form class="stack" onSubmit={submit}>
        <Field label={t('signin.login')} name="login" autoComplete="username" required problem={problem} />
        <Field label={t('form.password')} name="password" type="password" autoComplete="current-password" required problem={problem} />
        <div class="actions">
          <button type="submit" disabled={busy}>
            {t('signin.submit')}
          </button>
          <a href="/forgot-password">{t('signin.forgot')}</a>
        </div>
      </form>
      <p>
        {t('signin.newHere')} <a href="/signup">{t('signin.createAccount')}</a>
      </p>
    </Page>
  );
}
