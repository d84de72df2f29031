// The header's badges, shared by the bell, the notification page and the admin menu: the caller's unread
// notifications and, for an admin, the doctors awaiting verification. Fetched when signed in, after the
// page changes them, and again on every `notification.created` frame and after a reconnect.
import { api } from './api/client';
import { onRealtime } from './realtime';
import { session } from './session';

export interface Badges {
  unread: number;
  pendingDoctors: number;
}

let badges: Badges = { unread: 0, pendingDoctors: 0 };
const listeners = new Set<(b: Badges) => void>();

function set(next: Partial<Badges>) {
  badges = { ...badges, ...next };
  for (const l of listeners) l(badges);
}

export const currentBadges = () => badges;

export function onBadges(fn: (b: Badges) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Asks the server for both counts (cheap: each is an index count). */
export async function refreshBadges(): Promise<void> {
  if (!session.me) return set({ unread: 0, pendingDoctors: 0 });
  const unread = await api.GET('/api/v1/me/notifications/unread-count').catch(() => null);
  if (unread?.data) set({ unread: unread.data.count });
  if (session.me?.user.role === 'ADMIN') {
    const pending = await api.GET('/api/v1/admin/doctors/pending-count').catch(() => null);
    if (pending?.data) set({ pendingDoctors: pending.data.count });
  }
}

session.subscribe(() => void refreshBadges());
onRealtime((e) => {
  if (e.type === 'notification.created' || e.type === 'reconnected') void refreshBadges();
});
