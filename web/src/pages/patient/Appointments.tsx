import { useMemo, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api } from '../../api/client';
import { Field, formValues, ListEnd, Loading, Notice, Page, ProblemBanner, useAction } from '../../components/ui';
import {
  AppointmentWhen,
  cancellationPolicy,
  lateChangeProblem,
  StatusBadge,
  visitOpen,
  VISIT_CLOSES_AFTER_MS,
  type Appointment,
} from '../../components/Appointment';
import { t } from '../../i18n';
import { WaitlistEntries } from '../../components/Waitlist';
import { RescheduleForm } from '../../components/Slots';
import { appointmentsChanged, useGet, useList } from '../../query';

export default function Appointments() {
  const { query } = useLocation();
  const [tab, setTab] = useState<'upcoming' | 'past'>('upcoming');
  // An appointment stays upcoming while its visit can still be joined (until 30 minutes after its end),
  // so a patient who is late still finds it here with its Join button.
  // Fixed while the tab is shown: the list's key (and so its pages) must not change at every render.
  const now = useMemo(() => Date.now(), [tab]);
  const lookBack = new Date(now - 8 * 3_600_000).toISOString();
  const list = useList('/api/v1/appointments', {
    params: { query: tab === 'upcoming' ? { from: lookBack, limit: 100 } : { to: new Date(now).toISOString(), limit: 100 } },
  });
  const stillOpen = (a: Appointment) => Date.parse(a.endsAt) + VISIT_CLOSES_AFTER_MS > Date.now();
  return (
    <Page title={t('appointments.title')}>
      {query.booked && <Notice kind="success">{t('appointments.booked')}</Notice>}
      <div class="actions" role="group" aria-label={t('appointments.which')}>
        <button
          type="button"
          class={tab === 'upcoming' ? '' : 'secondary'}
          aria-pressed={tab === 'upcoming'}
          onClick={() => setTab('upcoming')}
        >
          {t('appointments.upcoming')}
        </button>
        <button type="button" class={tab === 'past' ? '' : 'secondary'} aria-pressed={tab === 'past'} onClick={() => setTab('past')}>
          {t('appointments.past')}
        </button>
      </div>
      <Loading loaded={list}>
        {() => {
          const items =
            tab === 'upcoming'
              ? [...list.items].filter(stillOpen).sort((a, b) => a.startsAt.localeCompare(b.startsAt))
              : list.items.filter((a) => !stillOpen(a));
          return items.length === 0 ? (
            <p>
              {tab === 'upcoming' ? t('appointments.noneUpcoming') : t('appointments.nonePast')}{' '}
              <a href="/doctors">{t('nav.findDoctor')}</a>.
            </p>
          ) : (
            <ul class="stack" aria-label={tab === 'upcoming' ? t('appointments.upcomingList') : t('appointments.pastList')}>
              {items.map((a) => (
                <AppointmentCard key={a.id} a={a} onChange={appointmentsChanged} />
              ))}
            </ul>
          );
        }}
      </Loading>
      <ListEnd list={list} />
      <WaitlistEntries />
    </Page>
  );
}

export function AppointmentCard({ a, onChange }: { a: Appointment; onChange: () => void }) {
  const [mode, setMode] = useState<'none' | 'cancel' | 'reschedule'>('none');
  const act = useAction();
  // Memoised: the banner takes focus whenever its problem changes identity.
  const late = useMemo(() => lateChangeProblem(act.problem), [act.problem]);
  const { route } = useLocation();
  const open = a.status === 'PENDING' || a.status === 'CONFIRMED';
  // The doctor's profile (zone, cancellation notice) is needed only once the patient means to change something.
  const doctor = useGet('/api/v1/doctors/{doctorId}', { params: { path: { doctorId: a.doctorId } } }, { enabled: mode !== 'none' });
  return (
    <li class="card">
      <h2>{t('mail.doctorName', { name: `${a.doctor.firstname} ${a.doctor.lastname}` })}</h2>
      <p>
        <AppointmentWhen a={a} /> <StatusBadge status={a.status} />
      </p>
      {a.reason && <p>{t('agenda.reason', { reason: a.reason })}</p>}
      {a.cancellationReason && <p>{t('appointments.cancellation', { reason: a.cancellationReason })}</p>}
      {a.status === 'CONFIRMED' && (
        <p class="muted" id={`visit-hint-${a.id}`}>
          {t('appointments.visitHint')}
        </p>
      )}
      <ProblemBanner problem={late} />
      {mode !== 'none' && doctor.data && <p class="muted">{cancellationPolicy(doctor.data.cancellationNoticeHours)}</p>}
      <div class="actions">
        {a.status === 'CONFIRMED' && (
          <button
            type="button"
            disabled={!visitOpen(a)}
            aria-describedby={`visit-hint-${a.id}`}
            onClick={() => route(`/patient/visits/${a.id}`)}
          >
            {t('call.join')}
          </button>
        )}
        <a href={`/patient/messages/${a.doctorId}`}>{t('appointments.message')}</a>
        {open && (
          <button type="button" class="secondary" onClick={() => setMode(mode === 'reschedule' ? 'none' : 'reschedule')}>
            {t('agenda.reschedule')}
          </button>
        )}
        {open && (
          <button type="button" class="secondary" onClick={() => setMode(mode === 'cancel' ? 'none' : 'cancel')}>
            {t('agenda.cancelAppointment')}
          </button>
        )}
      </div>
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
            ) {
              setMode('none');
              onChange();
            }
          }}
        >
          <Field label={t('timeOff.reason')} name="reason" problem={act.problem} />
          <button type="submit" class="danger" disabled={act.busy}>
            {t('appointments.confirmCancel')}
          </button>
        </form>
      )}
      {mode === 'reschedule' && doctor.data && (
        <RescheduleForm
          appointmentId={a.id}
          doctorId={a.doctorId}
          doctorZone={doctor.data.timezone}
          act={act}
          label={t('appointments.move')}
          onMoved={() => {
            setMode('none');
            onChange();
          }}
        />
      )}
    </li>
  );
}
