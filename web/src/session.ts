// Who is signed in. The access token lives in memory only; the refresh token is an HttpOnly cookie that
// page scripts never see, so a reload restores the session by refreshing through that cookie.
import type { components } from './api/schema';
import { api } from './api/client';
import { browserLocale, isLocale, setLocale, setZone } from './i18n';

type Me = {
  user: components['schemas']['User'];
  patient?: components['schemas']['Patient'];
  doctor?: components['schemas']['DoctorPrivate'];
};
export type SignOutReason = 'signed-out' | 'expired' | 'suspended' | 'closed';

function csrfToken(): string | null {
  const m = /(?:^|;\s*)tc_csrf=([^;]+)/.exec(document.cookie);
  return m ? decodeURIComponent(m[1]) : null;
}

function logout() {
  return api
    .POST('/api/v1/auth/logout', { body: { session: 'cookie' }, headers: { 'x-csrf-token': csrfToken() ?? '' } })
    .catch(() => undefined);
}

class Session {
  accessToken: string | null = null;
  me: Me | null = null;
  /** Why the last session ended, shown on the sign-in page. */
  reason: SignOutReason | null = null;
  ready = false;
  private listeners = new Set<() => void>();
  private refreshing: Promise<boolean> | null = null;

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  private emit() {
    for (const fn of this.listeners) fn();
  }

  /** One refresh at a time: concurrent callers share it. */
  refresh(): Promise<boolean> {
    this.refreshing ??= (async () => {
      const csrf = csrfToken();
      if (!csrf) return false;
      try {
        const { data, error } = await api.POST('/api/v1/auth/refresh', { body: { session: 'cookie' }, headers: { 'x-csrf-token': csrf } });
        if (!data) {
          if (error?.code === 'ACCOUNT_SUSPENDED') this.reason = 'suspended';
          return false;
        }
        this.accessToken = data.accessToken;
        return true;
      } catch {
        return false;
      }
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  async loadMe(): Promise<void> {
    const { data } = await api.GET('/api/v1/me').catch(() => ({ data: undefined }));
    this.me = data ?? null;
    if (!this.me) this.accessToken = null;
    await this.followAccount();
  }

  /** The portal speaks the account's language and shows times in its zone; signed out, the browser's. */
  private async followAccount(): Promise<void> {
    const wanted = this.me?.user.locale;
    setZone(this.me?.user.timeZone);
    await setLocale(isLocale(wanted) ? wanted : browserLocale()).catch(() => undefined);
  }

  /** At start: restore the session from the cookie, if any. */
  async start(): Promise<void> {
    if (await this.refresh()) await this.loadMe();
    else await this.followAccount();
    this.ready = true;
    this.emit();
  }

  signedIn(accessToken: string, me: Me) {
    this.accessToken = accessToken;
    this.me = me;
    this.reason = null;
    void this.followAccount();
    this.emit();
  }

  /** Resolves once start() has restored (or not) the session: a page acting at load waits for it before reading `me`. */
  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => {
      const off = this.subscribe(() => {
        if (!this.ready) return;
        off();
        resolve();
      });
    });
  }

  async reloadMe(): Promise<void> {
    await this.loadMe();
    this.emit();
  }

  /** Ends the session on the server (revoking the refresh cookie) and here. */
  async signOut(): Promise<void> {
    await logout();
    this.signedOut('signed-out');
  }

  signedOut(reason: SignOutReason) {
    if (!this.me && !this.accessToken && this.reason === reason) return;
    this.accessToken = null;
    this.me = null;
    this.reason = reason;
    void this.followAccount();
    // The server already refused this session; logging out also clears its cookies.
    if (reason !== 'signed-out') void logout();
    this.emit();
  }
}

export const session = new Session();
