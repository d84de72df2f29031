// The patient's waitlist: join a doctor's list for a window of days when no free time suits, see the
// entries, and answer offers live. An offer arrives as the `waitlist.offer` WebSocket event; the list is
// refetched then (the server's list carries the live offer), and on reconnect, since delivery is at most once.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, type Problem } from '../api/client';
import type { paths } from '../api/schema';
import { onRealtime } from '../realtime';
import { Field, formatDateTime, formValues, ListEnd, Loading, Notice, ProblemBanner, useAction, When } from './ui';
import { useList } from '../query';
import { t, tRich } from '../i18n';

type Entry = paths['/api/v1/waitlist']['get']['responses'][200]['content']['application/json']['items'][number];
type Offer = NonNullable<Entry['offer']>;

const DAY = 86_400_000;
/** The contract's longest window (docs/api.md "Waitlist"). */
const MAX_WINDOW_DAYS = 31;

/** `YYYY-MM-DD` of a moment in the viewer's own zone (what a date input shows). */
function localDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** Local midnight starting a `YYYY-MM-DD` day, as a UTC instant. */
const startOfLocalDay = (date: string) => new Date(`${date}T00:00:00`);

/** The current time, ticking once a second while mounted (for countdowns). */
function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return now;
}

/** `m:ss` (or `h:mm:ss`) of a positive duration. */
function clock(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

const expiredProblem = (p: Problem | null): Problem | null =>
  p?.code === 'WAITLIST_OFFER_EXPIRED'
    ? {
        ...p,
        title: t('waitlistUi.expired.title'),
        detail: t('waitlistUi.expired.detail'),
      }
    : p;

/**
 * The patient's entries (of one doctor, or all) with their live offers. Offers are counted down to the
 * server's `expiresAt`; one whose hold has run out disappears at once and the list is fetched again.
 */
export function WaitlistEntries({ doctorId }: { doctorId?: string }) {
  const list = useList('/api/v1/waitlist', { params: { query: { limit: 100 } } });
  const [announce, setAnnounce] = useState('');
  useEffect(
    () =>
      onRealtime((e) => {
        if (e.type === 'waitlist.offer' && (!doctorId || e.offer.doctorId === doctorId)) {
          setAnnounce(t('waitlistUi.announce', { when: formatDateTime(e.offer.startsAt) }));
        }
      }),
    [doctorId],
  );
  const entries = list.items.filter((e) => !doctorId || e.doctorId === doctorId);
  // On a doctor's page the section appears only once the patient waits there (the join form is below).
  if (doctorId && !list.problem && entries.length === 0)
    return (
      <p class="visually-hidden" role="status">
        {announce}
      </p>
    );
  return (
    <section aria-labelledby="waitlist-h">
      <h2 id="waitlist-h">{doctorId ? t('waitlistUi.titleDoctor') : t('waitlistUi.title')}</h2>
      <p class="visually-hidden" role="status">
        {announce}
      </p>
      <Loading loaded={list}>
        {() =>
          entries.length === 0 ? (
            <p>{t('waitlistUi.none')}</p>
          ) : (
            <ul class="stack plain" aria-label={t('waitlistUi.entries')}>
              {entries.map((e) => (
                <EntryCard key={e.id} entry={e} showDoctor={!doctorId} onChange={list.reload} />
              ))}
            </ul>
          )
        }
      </Loading>
      <ListEnd list={list} />
    </section>
  );
}

const statusText: Record<Entry['status'], string> = {
  WAITING: 'waitlistUi.status.WAITING',
  OFFERED: 'waitlistUi.status.OFFERED',
  BOOKED: 'waitlistUi.status.BOOKED',
};

function EntryCard({ entry, showDoctor, onChange }: { entry: Entry; showDoctor: boolean; onChange: () => void }) {
  const leave = useAction();
  // Accept and decline live here, not in the offer: a refused accept refetches the list, the offer goes, and
  // its message must stay. Memoised: the banner takes focus whenever its problem changes identity.
  const answer = useAction();
  const problem = useMemo(() => expiredProblem(answer.problem), [answer.problem]);
  const [lapsed, setLapsed] = useState<string | null>(null);
  const doctor = t('mail.doctorName', { name: `${entry.doctor.firstname} ${entry.doctor.lastname}` });
  const offer = entry.status === 'OFFERED' && entry.offer && entry.offer.id !== lapsed ? entry.offer : null;
  return (
    <li class="card">
      {showDoctor && <h3>{doctor}</h3>}
      <p>
        {tRich('waitlistUi.range', { from: <When iso={entry.from} />, to: <When iso={entry.to} /> })}{' '}
        <span class="badge">{t(statusText[entry.status])}</span>
      </p>
      {offer && (
        <OfferCard
          offer={offer}
          doctor={doctor}
          answer={answer}
          onChange={onChange}
          onLapsed={() => {
            setLapsed(offer.id);
            // The server expires the hold on its own; the list is fetched again to show the entry waiting.
            onChange();
          }}
        />
      )}
      {lapsed && !offer && entry.status !== 'BOOKED' && <Notice kind="warning">{t('waitlistUi.lapsed')}</Notice>}
      <ProblemBanner problem={problem} />
      <ProblemBanner problem={leave.problem} />
      {entry.status !== 'BOOKED' && (
        <button
          type="button"
          class="secondary"
          disabled={leave.busy}
          onClick={async () => {
            if ((await leave.run(() => api.DELETE('/api/v1/waitlist/{id}', { params: { path: { id: entry.id } } }))).ok) onChange();
          }}
        >
          {t('waitlistUi.leave')}
        </button>
      )}
    </li>
  );
}

function OfferCard({
  offer,
  doctor,
  answer,
  onChange,
  onLapsed,
}: {
  offer: Offer;
  doctor: string;
  answer: ReturnType<typeof useAction>;
  onChange: () => void;
  onLapsed: () => void;
}) {
  const now = useNow();
  const { route } = useLocation();
  // Counted down to the server's expiresAt; never extended by the client.
  const left = Date.parse(offer.expiresAt) - now;
  const expired = left <= 0;
  const told = useRef(false);
  useEffect(() => {
    if (expired && !told.current) {
      told.current = true;
      onLapsed();
    }
  }, [expired]);
  if (expired) return null;
  const headingId = `offer-${offer.id}`;
  return (
    <div class="banner info offer" role="group" aria-labelledby={headingId}>
      <p id={headingId}>
        <strong>{t('waitlistUi.offer.title')}</strong>
      </p>
      <p>{tRich('waitlistUi.offer.slot', { start: <When iso={offer.startsAt} />, end: <When iso={offer.endsAt} />, doctor })}</p>
      <p>
        {tRich('waitlistUi.offer.held', {
          until: <When iso={offer.expiresAt} />,
          left: clock(left),
          timer: (c) => <strong role="timer">{c}</strong>,
        })}
      </p>
      <div class="actions">
        <button
          type="button"
          disabled={answer.busy}
          onClick={async () => {
            const r = await answer.run(() =>
              api.POST('/api/v1/waitlist/offers/{offerId}/accept', { params: { path: { offerId: offer.id } }, body: {} }),
            );
            if (r.ok) route('/patient/appointments?booked=1');
            else onChange();
          }}
        >
          {t('waitlistUi.offer.accept')}
        </button>
        <button
          type="button"
          class="secondary"
          disabled={answer.busy}
          onClick={async () => {
            await answer.run(() => api.POST('/api/v1/waitlist/offers/{offerId}/decline', { params: { path: { offerId: offer.id } } }));
            onChange();
          }}
        >
          {t('waitlistUi.offer.decline')}
        </button>
      </div>
    </div>
  );
}

/** Joining a doctor's waitlist for a window of whole days in the patient's own zone. */
export function JoinWaitlist({ doctorId, onJoined }: { doctorId: string; onJoined: () => void }) {
  const join = useAction();
  const [done, setDone] = useState(false);
  const today = localDate(Date.now());
  return (
    <form
      class="stack card"
      aria-labelledby="join-h"
      onSubmit={async (e) => {
        const v = formValues(e);
        setDone(false);
        if (!v.from || !v.to)
          return join.setProblem({
            type: 'about:blank',
            title: t('waitlistUi.join.daysTitle'),
            status: 400,
            code: 'VALIDATION_FAILED',
            detail: t('waitlistUi.join.daysDetail'),
          });
        const from = startOfLocalDay(v.from);
        // The last day counts whole: the window ends at the following midnight.
        const to = new Date(startOfLocalDay(v.to).getTime() + DAY);
        const r = await join.run(() =>
          api.POST('/api/v1/waitlist', { body: { doctorId, from: from.toISOString(), to: to.toISOString() } }),
        );
        if (r.ok) {
          setDone(true);
          onJoined();
        }
      }}
    >
      <h2 id="join-h">{t('waitlistUi.join.title')}</h2>
      <p>{t('waitlistUi.join.intro')}</p>
      {done && <Notice kind="success">{t('waitlistUi.join.done')}</Notice>}
      <ProblemBanner problem={join.problem} />
      <Field label={t('waitlistUi.join.from')} name="from" type="date" min={today} value={today} required problem={join.problem} />
      <Field
        label={t('waitlistUi.join.to')}
        name="to"
        type="date"
        min={today}
        value={localDate(Date.now() + 13 * DAY)}
        required
        hint={t('waitlistUi.join.toHint', { n: MAX_WINDOW_DAYS })}
        problem={join.problem}
      />
      <button type="submit" disabled={join.busy}>
        {t('waitlistUi.join.submit')}
      </button>
    </form>
  );
}
