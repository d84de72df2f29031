import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api } from '../../api/client';
import { Field, formValues, Notice, Page, ProblemBanner, useAction } from '../../components/ui';
import { t } from '../../i18n';

export default function VerifyEmail() {
  const { query } = useLocation();
  const verify = useAction();
  const resend = useAction();
  const [state, setState] = useState<'working' | 'done' | 'failed'>('working');
  const [resent, setResent] = useState(false);
  useEffect(() => {
    if (!query.token) return setState('failed');
    void verify
      .run(() => api.POST('/api/v1/auth/verify-email', { body: { token: query.token } }))
      .then((r) => setState(r.ok ? 'done' : 'failed'));
  }, [query.token]);
  return (
    <Page title={t('verify.title')}>
      {state === 'working' && <p aria-busy="true">{t('verify.working')}</p>}
      {state === 'done' && (
        <>
          <Notice kind="success">{t('verify.done')}</Notice>
          <a class="button" href="/signin?verified=1">
            {t('shell.signIn')}
          </a>
        </>
      )}
      {state === 'failed' && (
        <>
          <ProblemBanner
            problem={
              verify.problem ?? {
                type: 'about:blank',
                title: t('verify.noToken'),
                status: 400,
                code: 'INVALID_TOKEN',
                detail: t('verify.noTokenDetail'),
              }
            }
          />
          <p>{t('verify.failed')}</p>
          {resent ? (
            <Notice>{t('verify.resent')}</Notice>
          ) : (
            <form
              class="stack"
              onSubmit={async (e) => {
                const v = formValues(e);
                if ((await resend.run(() => api.POST('/api/v1/auth/resend-verification', { body: { email: v.email ?? '' } }))).ok)
                  setResent(true);
              }}
            >
              <ProblemBanner problem={resend.problem} />
              <Field label={t('signup.email')} name="email" type="email" required problem={resend.problem} />
              <button type="submit" disabled={resend.busy}>
                {t('verify.resend')}
              </button>
            </form>
          )}
        </>
      )}
    </Page>
  );
}
