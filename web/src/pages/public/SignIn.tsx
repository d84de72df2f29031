import { useLocation } from 'preact-iso';
import { api } from '../../api/client';
import { Field, formValues, Notice, Page, ProblemBanner, useAction } from '../../components/ui';
import { session } from '../../session';
import { useSession } from '../../app';
import { menus } from '../../routes';

import { t } from '../../i18n';

const reasons = {
  'signed-out': 'signin.signedOut',
  expired: 'signin.expired',
  suspended: 'signin.suspended',
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
    await session.loadMe();
    if (!session.me) return;
    session.signedIn(r.data.accessToken, session.me);
    const next = query.next && query.next.startsWith('/') && !query.next.startsWith('//') ? query.next : menus[session.me.user.role][0][0];
    route(next);
  };
  return (
    <Page title={t('signin.title')}>
      {s.reason && s.reason !== 'signed-out' && (
        <div class={`banner ${s.reason === 'suspended' ? 'error' : 'info'}`} role="alert">
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
