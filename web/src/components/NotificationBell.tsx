// The bell in the header: a link to the notification list whose accessible name says how many are unread
// ("Notifications, 3 unread"); the number is shown as a badge and updated live.
import { useEffect, useState } from 'preact/hooks';
import { currentBadges, onBadges } from '../notifications';
import { pagePath } from '../routes';
import { t } from '../i18n';

export function useBadges() {
  const [b, setB] = useState(currentBadges());
  useEffect(() => onBadges(setB), []);
  return b;
}

export function NotificationBell() {
  const { unread } = useBadges();
  return (
    <a class="bell" href={pagePath('notifications')} aria-label={t('notifications.bell', { n: unread })}>
      <span aria-hidden="true">🔔</span>
      {/* The exact number (at most 200 are kept): shown text must be part of the link's accessible name (WCAG 2.5.3). */}
      {unread > 0 && (
        <span class="badge count" aria-hidden="true">
          {unread}
        </span>
      )}
    </a>
  );
}

/** The admin menu's "Doctors" item: how many await verification, in its accessible name too. */
export function PendingDoctorsBadge() {
  const { pendingDoctors } = useBadges();
  if (!pendingDoctors) return null;
  return (
    <>
      {' '}
      <span class="badge count" aria-hidden="true">
        {pendingDoctors}
      </span>
      <span class="visually-hidden">{t('notifications.pendingDoctors', { n: pendingDoctors })}</span>
    </>
  );
}
