// The caller's notification list, newest first, page after page by the API's keyset cursor ("Load more").
// Each entry is worded from the catalogue and links to the page it concerns (the server's page table);
// opening one marks it read; new entries arrive live over the WebSocket (`notification.created`).
import { useEffect, useState } from 'preact/hooks';
import { api, asProblem, type Problem } from '../../api/client';
import type { PortalPageName } from '../../api/pages';
import { Page, ProblemBanner, When } from '../../components/ui';
import { useSession } from '../../app';
import { refreshBadges } from '../../notifications';
import { onRealtime, type Notification } from '../../realtime';
import { pagePath } from '../../routes';
import { t } from '../../i18n';

const PAGE = 20;

/** Who an entry is about, as the portal names them (a doctor with the title). */
const nameOf = (n: Notification) => {
  if (!n.person) return '';
  const full = `${n.person.firstname} ${n.person.lastname}`;
  return n.person.role === 'DOCTOR' ? t('mail.doctorName', { name: full }) : full;
};

/** The sentence of each kind (keys spelt whole: the catalogue test finds them). */
const TEXT: Record<Notification['kind'], string> = {
  'appointment.booked': 'notifications.text.booked',
  'appointment.confirmed': 'notifications.text.confirmed',
  'appointment.rescheduled': 'notifications.text.rescheduled',
  'appointment.cancelled': 'notifications.text.cancelled',
  'prescription.issued': 'notifications.text.prescription',
  'message.received': 'notifications.text.messages',
  'waitlist.offer': 'notifications.text.waitlistOffer',
  'doctor.registered': 'notifications.text.doctorRegistered',
  'doctor.verified': 'notifications.text.doctorVerified',
  'doctor.rejected': 'notifications.text.doctorRejected',
};

export const sentence = (n: Notification) => t(TEXT[n.kind], { name: nameOf(n), n: n.count });

/** The page an entry concerns, for the reader's role. */
function linkOf(n: Notification, role: string | undefined): string {
  const to = (name: PortalPageName, params: Record<string, string> = {}) => pagePath(name, params);
  switch (n.kind) {
    case 'appointment.booked':
    case 'appointment.confirmed':
    case 'appointment.rescheduled':
    case 'appointment.cancelled':
      return to('appointment', { id: n.appointmentId ?? '' });
    case 'prescription.issued':
      return to('patientPrescriptions');
    case 'message.received':
      return role === 'DOCTOR'
        ? to('doctorConversation', { userId: n.person?.id ?? '' })
        : to('patientConversation', { userId: n.person?.id ?? '' });
    case 'waitlist.offer':
      return to('waitlist');
    case 'doctor.registered':
      return to('adminDoctors');
    case 'doctor.verified':
    case 'doctor.rejected':
      return to('doctorSettings');
  }
}

export default function Notifications() {
  const s = useSession();
  const role = s.me?.user.role;
  const [items, setItems] = useState<Notification[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);

  const load = async (from: string | undefined) => {
    setBusy(true);
    const r = await api
      .GET('/api/v1/me/notifications', { params: { query: { limit: PAGE, ...(from ? { cursor: from } : {}) } } })
      .catch((e) => ({ data: undefined, error: e }));
    setBusy(false);
    if (!r.data) return setProblem(asProblem(r.error));
    setProblem(null);
    setItems((old) => (from ? [...old, ...r.data!.items.filter((x) => !old.some((o) => o.id === x.id))] : r.data!.items));
    setCursor(r.data.nextCursor);
  };
  useEffect(() => {
    void load(undefined);
    return onRealtime((e) => {
      // A new entry, or a conversation's entry with one more message: on top, once.
      if (e.type === 'notification.created') setItems((old) => [e.notification, ...old.filter((o) => o.id !== e.notification.id)]);
      if (e.type === 'reconnected') void load(undefined);
    });
  }, []);

  const markRead = (n: Notification) => {
    if (n.readAt) return;
    setItems((old) => old.map((o) => (o.id === n.id ? { ...o, readAt: new Date().toISOString() } : o)));
    void api.POST('/api/v1/me/notifications/{id}/read', { params: { path: { id: n.id } } }).then(() => refreshBadges());
  };
  const markAll = async () => {
    const r = await api.POST('/api/v1/me/notifications/read-all').catch((e) => ({ error: e }));
    if ('error' in r && r.error) return setProblem(asProblem(r.error));
    const now = new Date().toISOString();
    setItems((old) => old.map((o) => (o.readAt ? o : { ...o, readAt: now })));
    await refreshBadges();
  };

  const unread = items.filter((n) => !n.readAt).length;
  return (
    <Page title={t('notifications.title')}>
      <ProblemBanner problem={problem} />
      {unread > 0 && (
        <button type="button" onClick={() => void markAll()}>
          {t('notifications.markAll')}
        </button>
      )}
      <ul class="stack plain notifications" aria-label={t('notifications.title')}>
        {items.map((n) => (
          <li key={n.id} class={n.readAt ? 'read' : 'unread'}>
            {!n.readAt && <span class="badge waiting">{t('notifications.new')}</span>}{' '}
            <a href={linkOf(n, role)} onClick={() => markRead(n)}>
              {sentence(n)}
            </a>{' '}
            <span class="muted">
              <When iso={n.createdAt} />
            </span>
          </li>
        ))}
      </ul>
      {cursor === undefined && busy && <p aria-busy="true">{t('shell.loading')}</p>}
      <p role="status">{cursor === null ? (items.length ? t('notifications.allShown') : t('notifications.empty')) : ''}</p>
      {cursor && (
        <button type="button" disabled={busy} onClick={() => void load(cursor)}>
          {t('notifications.loadMore')}
        </button>
      )}
    </Page>
  );
}
