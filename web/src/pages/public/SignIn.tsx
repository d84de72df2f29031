import { useLocation } from 'preact-iso';
import { api } from '../../api/client';
import { Field, formValues, Notice, Page, ProblemBanner, useAction } from '../../components/ui';
import { session } from '../../session';
import { useSession } from '../../app';
import { menus } from '../../routes';

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
  'signed-out': 'You are signed out.',
  expired: 'Your session ended. Please sign in again.',
  suspended: 'Your account has been suspended. Contact the clinic if you think this is a mistake.',
};

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
    route(portalPath(query.next) ?? menus[session.me.user.role][0][0]);
  };
  return (
    <Page title="Sign in">
      {s.reason && s.reason !== 'signed-out' && (
        <div class={`banner ${s.reason === 'suspended' ? 'error' : 'info'}`} role="alert">
          {reasons[s.reason]}
        </div>
      )}
      {query.verified && <Notice kind="success">Your email address is verified. You can sign in now.</Notice>}
      {query.reset && <Notice kind="success">Your password was changed. Sign in with the new one.</Notice>}
      <ProblemBanner problem={problem} />
      <form class="stack" onSubmit={submit}>
        <Field label="Username or email" name="login" autoComplete="username" required problem={problem} />
        <Field label="Password" name="password" type="password" autoComplete="current-password" required problem={problem} />
        <div class="actions">
          <button type="submit" disabled={busy}>
            Sign in
          </button>
          <a href="/forgot-password">Forgot your password?</a>
        </div>
      </form>
      <p>
        New here? <a href="/signup">Create an account</a>.
      </p>
    </Page>
  );
}
