import { useLocation } from 'preact-iso';
import { api } from '../../api/client';
import { Field, formValues, Page, ProblemBanner, useAction } from '../../components/ui';

export default function ResetPassword() {
  const { query, route } = useLocation();
  const { problem, busy, run } = useAction();
  return (
    <Page title="Choose a new password">
      <ProblemBanner problem={problem} />
      {problem?.code === 'INVALID_TOKEN' && (
        <p>
          Links work once and for one hour. <a href="/forgot-password">Ask for a new link</a>.
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
          label="New password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          hint="At least 10 characters"
          problem={problem}
        />
        <button type="submit" disabled={busy}>
          Set new password
        </button>
      </form>
    </Page>
  );
}
