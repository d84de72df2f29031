import { useLocation } from 'preact-iso';
import { api } from '../../api/client';
import { Field, formValues, Page, ProblemBanner, useAction } from '../../components/ui';
import { t } from '../../i18n';

export default function ResetPassword() {
  const { query, route } = useLocation();
  const { problem, busy, run } = useAction();
  return (
    <Page title={t('reset.title')}>
      <ProblemBanner problem={problem} />
      {problem?.code === 'INVALID_TOKEN' && (
        <p>
          {t('reset.expired')} <a href="/forgot-password">{t('reset.askNew')}</a>
        </p>
      )}
      <form
        class="stack"
        onSubmit={async (e) => {
          const v = formValues(e);
          const r = await run(() =>
            api.POST('/api/v1/auth/reset-password', { body: { token: query.token ?? '', password: v.password ?? '' } }),
          );
          if (r.ok) route('/signin?reset=1');
        }}
      >
        <Field
          label={t('account.newPassword')}
          name="password"
          type="password"
          autoComplete="new-password"
          required
          hint={t('form.passwordHint')}
          problem={problem}
        />
        <button type="submit" disabled={busy}>
          {t('reset.submit')}
        </button>
      </form>
    </Page>
  );
}
