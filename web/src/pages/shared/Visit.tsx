// The video visit of one appointment, for its patient (/patient/visits/:id) and its doctor (/doctor/visits/:id).
// Media flows peer to peer; signalling runs over the tab's WebSocket (docs/api.md "Video visits",
// VISIT-PROTOCOL). The call itself (connection, signalling, media, reconnect, waiting room) is the hook in
// visit/useCall.ts; the views are in visit/.
import { useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { api } from '../../api/client';
import { useSession } from '../../app';
import { formatDateTime, Notice, Page, ProblemBanner, useAction, useLoad } from '../../components/ui';
import { t } from '../../i18n';
import { Thread } from '../../components/Conversations';
import { VisitPrerequisites } from '../../components/VisitPrerequisites';
import { fetchVisit, participantName, sessionSetup, useCall, type Visit } from './visit/useCall';
import { CallView } from './visit/CallView';
import { AllowPatientShare, DoctorWaitingList, PatientLobby } from './visit/Lobby';
import { PreCallCheck } from './visit/PreCallCheck';

export default function VisitPage() {
  const { params } = useRoute();
  const id = params.id;
  const s = useSession();
  const role = s.me!.user.role;
  const visit = useLoad(['visit', id], () => fetchVisit(id), { live: false });
  return (
    <Page title={t('visit.title')}>
      {visit.problem && role === 'PATIENT' && (visit.problem.code === 'CONSENT_REQUIRED' || visit.problem.code === 'LOCATION_REQUIRED') ? (
        <VisitPrerequisites id={id} code={visit.problem.code} onDone={visit.reload} />
      ) : visit.problem ? (
        <>
          <ProblemBanner problem={visit.problem} />
          {visit.problem.code === 'VISIT_NOT_OPEN' && <p>{t('visit.window')}</p>}
          <div class="actions">
            <button type="button" class="secondary" onClick={visit.reload}>
              {t('visit.retry')}
            </button>
            <a href={role === 'DOCTOR' ? '/doctor/agenda' : '/patient/appointments'}>
              {role === 'DOCTOR' ? t('visit.backAgenda') : t('visit.backAppointments')}
            </a>
          </div>
        </>
      ) : visit.data ? (
        <>
          {role === 'DOCTOR' && <PatientPreconditions visit={visit.data} />}
          <Call id={id} visit={visit.data} me={{ id: s.me!.user.id, role: role === 'DOCTOR' ? 'DOCTOR' : 'PATIENT' }} />
        </>
      ) : (
        <p aria-busy="true">{t('shell.loading')}</p>
      )}
    </Page>
  );
}

/** What the doctor sees of the patient's telehealth consent and stated location (issue 27). */
function PatientPreconditions({ visit }: { visit: Visit }) {
  const c = visit.patientConsent;
  const l = visit.patientLocation;
  return (
    <dl class="visit-preconditions" aria-label={t('visit.before')}>
      <dt>{t('visit.consent')}</dt>
      <dd>
        {c.currentVersion === null
          ? t('visit.consentNone')
          : c.accepted
            ? t('visit.consentAccepted', { version: c.currentVersion })
            : t('visit.consentNotAccepted', { version: c.currentVersion })}
      </dd>
      <dt>{t('visit.location')}</dt>
      <dd>{l ? `${l.city ? `${l.city}, ` : ''}${l.region}, ${l.country}` : t('visit.locationNone')}</dd>
    </dl>
  );
}

function Call({ id, visit, me }: { id: string; visit: Visit; me: { id: string; role: 'DOCTOR' | 'PATIENT' } }) {
  const doctor = me.role === 'DOCTOR';
  const peerName = participantName(visit.peer);
  // The setup is read once: the call keeps its own state (admission, fresh ICE servers) from there.
  const [setup] = useState(() => sessionSetup(id, visit, me));
  const call = useCall(setup);
  const [completed, setCompleted] = useState(false);
  const complete = useAction();
  return (
    <div class="visit">
      <section aria-labelledby="call-h" class="stack">
        <h2 id="call-h">{t('visit.with', { name: peerName })}</h2>
        {!doctor && call.state === 'lobby' && <PatientLobby call={call} doctorName={peerName} />}
        {doctor && <DoctorWaitingList call={call} />}
        <CallView call={call} peerName={peerName} />
        {doctor && <AllowPatientShare call={call} />}
        {call.state === 'idle' && <PreCallCheck visit={visit} />}
        {!call.open && (
          <p class="muted">{t('visit.joinable', { from: formatDateTime(visit.opensAt), until: formatDateTime(visit.closesAt) })}</p>
        )}
        {doctor && (
          <div class="stack">
            <ProblemBanner problem={complete.problem} />
            {completed ? (
              <Notice kind="success">{t('visit.completed')}</Notice>
            ) : (
              <button
                type="button"
                disabled={complete.busy}
                onClick={async () => {
                  if ((await complete.run(() => api.POST('/api/v1/appointments/{id}/complete', { params: { path: { id } } }))).ok) {
                    if (call.joined()) call.hangUp();
                    setCompleted(true);
                  }
                }}
              >
                {t('visit.complete')}
              </button>
            )}
          </div>
        )}
      </section>
      <Thread userId={visit.peer.id} onChange={() => undefined} />
    </div>
  );
}
