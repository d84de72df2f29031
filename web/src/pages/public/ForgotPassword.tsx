import { useState } from 'preact/hooks';
import { api } from '../../api/client';
import { Field, formValues, Notice, Page, ProblemBanner, useAction } from '../../components/ui';
import { t } from '../../i18n';

export default function ForgotPassword() {
  const { problem, busy, run } = useAction();
  const [sent, setSent] = useState(false);
  return (
    <Page title={t('signin.forgot')}>
      {sent ? (
        <Notice kind="success">{t('forgot.sent')}</Notice>
      ) : (
        <form
          class="stack"
          onSubmit={async (e) => {
            const v = formValues(e);
            if ((await run(() => api.POST('/api/v1/auth/forgot-password', { body: { email: v.email ?? '' } }))).ok) setSent(true);
          }}
        >
          <ProblemBanner problem={problem} />
          <Field label={t('signup.email')} name="email" type="email" autoComplete="email" required problem={problem} />
          <button type="submit" disabled={busy}>
            {t('forgot.submit')}
          </button>
        </form>
      )}
    </Page>
  );
}
