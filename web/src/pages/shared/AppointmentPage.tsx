// One appointment, for its patient, its doctor or an admin: the page every appointment mail and calendar
// entry links to (PORTAL_PAGES.appointment), so one link serves both parties. It shows the same card and
// actions as the patient's list or the doctor's agenda, and follows changes live.
import { useEffect } from 'preact/hooks';
import { Loading, Page } from '../../components/ui';
import { AppointmentWhen, StatusBadge } from '../../components/Appointment';
import { useSession } from '../../app';
import { onRealtime } from '../../realtime';
import { pagePath } from '../../routes';
import { AppointmentCard } from '../patient/Appointments';
import { AgendaItem } from '../doctor/Agenda';
import { VisitNoteEditor } from '../../components/VisitNoteEditor';
import { VisitGuests } from '../../components/VisitGuests';

/** A note documents a visit that happened or is about to (the API's rule). */
const NOTABLE = ['CONFIRMED', 'COMPLETED', 'NO_SHOW'];
import { IntakeSection } from '../../components/Intake';
import { useGet } from '../../query';
import { t } from '../../i18n';

export default function AppointmentPage({ id }: { id: string }) {
  const s = useSession();
  const role = s.me?.user.role;
  const one = useGet('/api/v1/appointments/{id}', { params: { path: { id } } });
  useEffect(
    () =>
      onRealtime((e) => {
        if ((e.type === 'appointment.updated' && e.appointment.id === id) || e.type === 'reconnected') one.reload();
      }),
    [id],
  );
  return (
    <Page title={t('newRx.appointment')}>
      <Loading loaded={one}>
        {() => {
          const a = one.data!;
          if (role === 'PATIENT')
            return (
              <>
                <ul class="stack" aria-label={t('newRx.appointment')}>
                  <AppointmentCard a={a} onChange={one.reload} />
                </ul>
                {(a.status === 'PENDING' || a.status === 'CONFIRMED') && <IntakeSection id={id} patient />}
                {a.status === 'CONFIRMED' && <VisitGuests appointmentId={a.id} doctor={false} />}
                <VisitNoteEditor appointmentId={a.id} role="patient" />
                <p>
                  <a href={pagePath('patientAppointments')}>{t('appointmentPage.all')}</a>
                </p>
              </>
            );
          if (role === 'DOCTOR')
            return (
              <>
                <h2>{t('appointmentPage.with', { name: `${a.patient.firstname} ${a.patient.lastname}` })}</h2>
                <ul class="stack" aria-label={t('newRx.appointment')}>
                  <AgendaItem a={a} onChange={one.reload} />
                </ul>
                <IntakeSection id={id} patient={false} />
                {a.status === 'CONFIRMED' && <VisitGuests appointmentId={a.id} doctor />}
                {NOTABLE.includes(a.status) && <VisitNoteEditor appointmentId={a.id} role="doctor" />}
                <p>
                  <a href={pagePath('doctorPatient', { id: a.patientId })}>{t('patientRecord.title')}</a>
                </p>
                <p>
                  <a href={pagePath('doctorAgenda')}>{t('appointmentPage.agenda')}</a>
                </p>
              </>
            );
          return (
            <dl>
              <dt>{t('audit.col.patient')}</dt>
              <dd>
                {a.patient.firstname} {a.patient.lastname}
              </dd>
              <dt>{t('adminUsers.role.DOCTOR')}</dt>
              <dd>{t('mail.doctorName', { name: `${a.doctor.firstname} ${a.doctor.lastname}` })}</dd>
              <dt>{t('audit.col.when')}</dt>
              <dd>
                <AppointmentWhen a={a} />
              </dd>
              <dt>{t('adminUsers.statusLabel')}</dt>
              <dd>
                <StatusBadge status={a.status} />
              </dd>
            </dl>
          );
        }}
      </Loading>
    </Page>
  );
}
