import { useState } from 'preact/hooks';
import { api } from '../../api/client';
import { Field, formValues, Notice, Page, ProblemBanner, useAction } from '../../components/ui';

export default function ForgotPassword() {
  const { problem, busy, run } = useAction();
  const [sent, setSent] = useState(false);
  return (
    <Page title="Forgot your password?">
      {sent ? (
        <Notice kind="success">
          If an account uses that address, we sent it a link to choose a new password. It is valid for one hour.
        </Notice>
      ) : (
        <form
          class="stack"
          onSubmit={async (e) => {
            const v = formValues(e);
            if ((await run(() => api.POST('/api/v1/auth/forgot-password', { body: { email: v.email ?? '' } }))).ok) setSent(true);
          }}
        >
          <ProblemBanner problem={problem} />
          <Field label="Email" name="email" type="email" autoComplete="email" required problem={problem} />
          <button type="submit" disabled={busy}>
            Send reset link
          </button>
        </form>
      )}
    </Page>
  );
}
