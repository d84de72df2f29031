// "Now": the signed-in patient's or doctor's confirmed appointments whose video visit is open, above every
// page, each with its Join button until the visit closes (a patient two minutes late still finds it), and,
// for the doctor, whether the patient is already waiting in the visit (live, WebSocket `visit.presence`).
import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api } from '../api/client';
import { onRealtime } from '../realtime';
import { pagePath } from '../routes';
import { useSession } from '../app';
import { visitOpen, VISIT_CLOSES_AFTER_MS, VISIT_OPENS_BEFORE_MS, type Appointment } from './Appointment';
import { formatDateTime } from './ui';
import { t, tRich } from '../i18n';

/** Longest appointment the portal looks back for: a visit stays open until 30 minutes after its end. */
const LOOK_BACK_MS = 8 * 3_600_000;

/** The current time, ticking every `ms` while mounted. */
export function useTicking(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/**
 * Whether the other party is in this appointment's visit now: asked once while the visit is open
 * (GET …/visit `peerPresent`), then followed live.
 */
export function usePeerPresent(a: Appointment, open: boolean): boolean {
  const [present, setPresent] = useState(false);
  useEffect(() => {
    if (!open) return;
    let live = true;
    api
      .GET('/api/v1/appointments/{id}/visit', { params: { path: { id: a.id } } })
      .then((r) => live && r.data && setPresent(r.data.peerPresent))
      // A failed look-up leaves the badge as it was; the realtime frames still update it.
      .catch(() => undefined);
    const off = onRealtime((e) => {
      if (e.type === 'visit.presence' && e.appointmentId === a.id) setPresent(e.present);
      if (e.type === 'reconnected')
        api
          .GET('/api/v1/appointments/{id}/visit', { params: { path: { id: a.id } } })
          .then((r) => live && r.data && setPresent(r.data.peerPresent))
          .catch(() => undefined);
    });
    return () => {
      live = false;
      off();
    };
  }, [a.id, open]);
  return open && present;
}

/** Every confirmed appointment whose visit window holds `now`, following nextCursor to the end. */
async function openVisits(now: number): Promise<Appointment[]> {
  const out: Appointment[] = [];
  let cursor: string | undefined;
  do {
    const r = await api.GET('/api/v1/appointments', {
      params: {
        query: {
          status: 'CONFIRMED',
          from: new Date(now - LOOK_BACK_MS).toISOString(),
          to: new Date(now + VISIT_OPENS_BEFORE_MS + 60_000).toISOString(),
          limit: 100,
          ...(cursor ? { cursor } : {}),
        },
      },
    });
    if (!r.data) break;
    out.push(...r.data.items);
    cursor = r.data.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

export function NowVisits() {
  const s = useSession();
  const { path } = useLocation();
  const role = s.me?.user.role;
  const now = useTicking(15_000);
  const [items, setItems] = useState<Appointment[]>([]);
  const [stamp, setStamp] = useState(0);
  // Refetched each minute (a window opens), on every appointment change and after a reconnect.
  const minute = Math.floor(now / 60_000);
  useEffect(() => {
    if (role !== 'PATIENT' && role !== 'DOCTOR') return setItems([]);
    let live = true;
    openVisits(Date.now()).then(
      (list) => live && setItems(list),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [role, minute, stamp]);
  useEffect(
    () =>
      onRealtime((e) => {
        if (e.type === 'appointment.updated' || e.type === 'reconnected') setStamp((n) => n + 1);
      }),
    [],
  );
  const open = items.filter((a) => visitOpen(a, now));
  // On the visit page itself the call is the page.
  if (!open.length || path.includes('/visits/')) return null;
  return (
    <aside class="now" aria-label={t('now.label')}>
      <ul class="stack plain">
        {open.map((a) => (
          <NowItem key={a.id} a={a} doctorView={role === 'DOCTOR'} />
        ))}
      </ul>
    </aside>
  );
}

function NowItem({ a, doctorView }: { a: Appointment; doctorView: boolean }) {
  const { route } = useLocation();
  const waiting = usePeerPresent(a, true);
  const who = doctorView
    ? `${a.patient.firstname} ${a.patient.lastname}`
    : t('mail.doctorName', { name: `${a.doctor.firstname} ${a.doctor.lastname}` });
  const closes = new Date(Date.parse(a.endsAt) + VISIT_CLOSES_AFTER_MS).toISOString();
  return (
    <li class="banner info now-item">
      <p>
        {tRich('now.visit', {
          who,
          start: formatDateTime(a.startsAt, undefined, { timeStyle: 'short' }, false),
          end: formatDateTime(a.endsAt, undefined, { hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }),
          closes: formatDateTime(closes, undefined, { timeStyle: 'short' }, false),
          b: (c) => <strong>{c}</strong>,
        })}{' '}
        <span role="status">
          {waiting && <span class="badge waiting">{doctorView ? t('agenda.patientWaiting') : t('now.doctorIn')}</span>}
        </span>
      </p>
      <button type="button" onClick={() => route(pagePath(doctorView ? 'doctorVisit' : 'patientVisit', { id: a.id }))}>
        {t('now.join', { who })}
      </button>
    </li>
  );
}
