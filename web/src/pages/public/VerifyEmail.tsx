import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api } from '../../api/client';
import { Field, formValues, Notice, Page, ProblemBanner, useAction } from '../../components/ui';

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
    <Page title="Verify your email">
      {state === 'working' && <p aria-busy="true">Verifying…</p>}
      {state === 'done' && (
        <>
          <Notice kind="success">Your email address is verified.</Notice>
          <a class="button" href="/signin?verified=1">
            Sign in
          </a>
        </>
      )}
      {state === 'failed' && (
        <>
          <ProblemBanner
            problem={
              verify.problem ?? {
                type: 'about:blank',
                title: 'No token',
                status: 400,
                code: 'INVALID_TOKEN',
                detail: 'This link has no verification token.',
              }
            }
          />
          <p>The link may have expired or been used already. Ask for a new one:</p>
          {resent ? (
            <Notice>If the address is registered and not yet verified, a new link is on its way.</Notice>
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
              <Field label="Email" name="email" type="email" required problem={resend.problem} />
              <button type="submit" disabled={resend.busy}>
                Send a new link
              </button>
            </form>
          )}
        </>
      )}
    </Page>
  );
}
