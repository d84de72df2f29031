import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api } from '../../api/client';
import { Notice, Page, ProblemBanner, useAction } from '../../components/ui';
import { useSession } from '../../app';
import { t } from '../../i18n';

/** The link mailed to a new address (POST /me/email): using it moves the account to that address. */
export default function ConfirmEmail() {
  const s = useSession();
  const { query } = useLocation();
  const confirm = useAction();
  const [state, setState] = useState<'working' | 'done' | 'failed'>('working');
  const [email, setEmail] = useState('');
  useEffect(() => {
    if (!query.token) return setState('failed');
    void confirm
      .run(() => api.POST('/api/v1/me/email/confirm', { body: { token: query.token } }))
      .then(async (r) => {
        if (r.ok && r.data) {
          setEmail(r.data.user.email);
          // Signed in here (the session that asked stays): show the new address at once. The session may still
          // be restoring from its cookie, with a GET /me answered before this change: wait for it, then read again.
          await s.whenReady();
          if (s.me) await s.reloadMe();
        }
        setState(r.ok ? 'done' : 'failed');
      });
  }, [query.token]);
  return (
    <Page title={t('confirmEmail.title')}>
      {state === 'working' && <p aria-busy="true">{t('confirmEmail.working')}</p>}
      {state === 'done' && (
        <>
          <Notice kind="success">{t('confirmEmail.done', { email })}</Notice>
          <a class="button" href={s.me ? '/account' : '/signin'}>
            {s.me ? t('nav.account') : t('shell.signIn')}
          </a>
        </>
      )}
      {state === 'failed' && (
        <>
          <ProblemBanner problem={confirm.problem} />
          <p>{t('confirmEmail.failed')}</p>
        </>
      )}
    </Page>
  );
}
