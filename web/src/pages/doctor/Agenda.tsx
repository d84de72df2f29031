import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api } from '../../api/client';
import { Field, formatDateTime, formValues, ListEnd, Loading, localZone, Page, ProblemBanner, useAction } from '../../components/ui';
import { RescheduleForm } from '../../components/Slots';
import { useSession } from '../../app';
import { StatusBadge, visitOpen, type Appointment } from '../../components/Appointment';
import { usePeerPresent } from '../../components/NowVisits';
import { appointmentsChanged, useList } from '../../query';
import { RunningLate } from '../../components/RunningLate';
import { t } from '../../i18n';

const DAY = 86_400_000;
const startOfDay = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate());

export default function Agenda() {
  const [view, setView] = useState<'day' | 'week'>('week');
  const [offset, setOffset] = useState(0);
  const span = view === 'day' ? 1 : 7;
  const from = new Date(startOfDay(new Date()).getTime() + offset * span * DAY);
  const to = new Date(from.getTime() + span * DAY);
  const list = useList('/api/v1/appointments', { params: { query: { from: from.toISOString(), to: to.toISOString(), limit: 100 } } });
  const days = new Map<string, Appointment[]>();
  for (const a of [...list.items].sort((x, y) => x.startsAt.localeCompare(y.startsAt))) {
    const k = formatDateTime(a.startsAt, undefined, { weekday: 'long', day: 'numeric', month: 'long' });
    days.set(k, [...(days.get(k) ?? []), a]);
  }
  return (
    <Page title={t('agenda.title')}>
      <RunningLate />
      <div class="actions">
        <div role="group" aria-label={t('agenda.view')} class="actions">
          <button
            type="button"
            class={view === 'day' ? '' : 'secondary'}
            aria-pressed={view === 'day'}
            onClick={() => {
              setView('day');
              setOffset(0);
            }}
          >
            {t('agenda.day')}
          </button>
          <button
            type="button"
            class={view === 'week' ? '' : 'secondary'}
            aria-pressed={view === 'week'}
            onClick={() => {
              setView('week');
              setOffset(0);
            }}
          >
            {t('agenda.week')}
          </button>
        </div>
        <button type="button" class="secondary" onClick={() => setOffset(offset - 1)}>
          {t('agenda.previous')}
        </button>
        <button type="button" class="secondary" onClick={() => setOffset(0)}>
          {t('agenda.today')}
        </button>
        <button type="button" class="secondary" onClick={() => setOffset(offset + 1)}>
          {t('agenda.next')}
        </button>
      </div>
      <p class="muted">
        {formatDateTime(from.toISOString(), undefined, { dateStyle: 'full' })}
        {span > 1 ? ` – ${formatDateTime(new Date(to.getTime() - 1).toISOString(), undefined, { dateStyle: 'full' })}` : ''}
      </p>
      <Loading loaded={list}>
        {() =>
          days.size === 0 ? (
            <p>{t('agenda.empty')}</p>
          ) : (
            [...days].map(([day, items]) => (
              <section key={day} aria-label={day}>
                <h2>{day}</h2>
                <ul class="stack">
                  {items.map((a) => (
                    <AgendaItem key={a.id} a={a} />
                  ))}
                </ul>
              </section>
            ))
          )
        }
      </Loading>
      <ListEnd list={list} />
    </Page>
  );
}

export function AgendaItem({ a, onChange }: { a: Appointment; onChange?: () => void }) {
  const act = useAction();
  const { route } = useLocation();
  const [mode, setMode] = useState<'none' | 'cancel' | 'reschedule'>('none');
  const s = useSession();
  const zone = s.me?.doctor?.timezone ?? localZone();
  const started = new Date(a.startsAt).getTime() <= Date.now();
  const name = `${a.patient.firstname} ${a.patient.lastname}`;
  const waiting = usePeerPresent(a, visitOpen(a));
  const changed = () => {
    setMode('none');
    appointmentsChanged();
    onChange?.();
  };
  const transition = async (action: 'confirm' | 'complete' | 'no-show') => {
    const path = `/api/v1/appointments/{id}/${action}` as const;
    if ((await act.run(() => api.POST(path, { params: { path: { id: a.id } } }))).ok) changed();
  };
  return (
    <li class="card">
      <h3>
        {formatDateTime(a.startsAt, undefined, { timeStyle: 'short' }, false)}–{formatDateTime(a.endsAt, undefined, { timeStyle: 'short' })}{' '}
        · {name} <StatusBadge status={a.status} />
      </h3>
      <p role="status">{waiting && <span class="badge waiting">{t('agenda.patientWaiting')}</span>}</p>
      {a.reason && <p>{t('agenda.reason', { reason: a.reason })}</p>}
      <ProblemBanner problem={act.problem} />
      <div class="actions">
        {a.status === 'CONFIRMED' && (
          <button type="button" disabled={!visitOpen(a)} title={t('agenda.joinWindow')} onClick={() => route(`/doctor/visits/${a.id}`)}>
            {t('agenda.join', { name })}
          </button>
        )}
        <a href={`/doctor/patients/${a.patientId}`}>{t('agenda.record', { name })}</a>
        <a href={`/doctor/messages/${a.patientId}`}>{t('agenda.message')}</a>
        {a.status === 'PENDING' && (
          <button type="button" disabled={act.busy} onClick={() => transition('confirm')}>
            {t('agenda.confirm')}
          </button>
        )}
        {a.status === 'CONFIRMED' && started && (
          <button type="button" disabled={act.busy} onClick={() => transition('complete')}>
            {t('agenda.complete')}
          </button>
        )}
        {a.status === 'CONFIRMED' && started && (
          <button type="button" class="secondary" disabled={act.busy} onClick={() => transition('no-show')}>
            {t('agenda.noShow')}
          </button>
        )}
        {(a.status === 'PENDING' || a.status === 'CONFIRMED') && !started && (
          <button
            type="button"
            class="secondary"
            aria-expanded={mode === 'reschedule'}
            onClick={() => setMode(mode === 'reschedule' ? 'none' : 'reschedule')}
          >
            {t('agenda.reschedule')}
          </button>
        )}
        {(a.status === 'PENDING' || a.status === 'CONFIRMED') && (
          <button
            type="button"
            class="secondary"
            aria-expanded={mode === 'cancel'}
            onClick={() => setMode(mode === 'cancel' ? 'none' : 'cancel')}
          >
            {t('agenda.cancel')}
          </button>
        )}
      </div>
      {mode === 'reschedule' && (
        <RescheduleForm
          appointmentId={a.id}
          doctorId={a.doctorId}
          doctorZone={zone}
          act={act}
          label={t('agenda.move', { name })}
          onMoved={changed}
        />
      )}
      {mode === 'cancel' && (
        <form
          class="stack"
          onSubmit={async (e) => {
            const v = formValues(e);
            if (
              (
                await act.run(() =>
                  api.POST('/api/v1/appointments/{id}/cancel', {
                    params: { path: { id: a.id } },
                    body: v.reason ? { reason: v.reason } : {},
                  }),
                )
              ).ok
            )
              changed();
          }}
        >
          <Field label={t('agenda.cancelReason')} name="reason" problem={act.problem} />
          <button type="submit" class="danger" disabled={act.busy}>
            {t('agenda.cancelAppointment')}
          </button>
        </form>
      )}
    </li>
  );
}
