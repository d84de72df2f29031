// The video visit of one appointment, for its patient (/patient/visits/:id) and its doctor (/doctor/visits/:id).
// Media flows peer to peer; signalling runs over the tab's WebSocket (docs/api.md "Video visits",
// VISIT-PROTOCOL). The call itself (connection, signalling, media, reconnect, waiting room) is the hook in
// visit/useCall.ts; the views are in visit/.
import { useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { api } from '../../api/client';
import { useSession } from '../../app';
import { Notice, Page, ProblemBanner, useAction, useLoad } from '../../components/ui';
import { Thread } from '../../components/Conversations';
import { VisitPrerequisites } from '../../components/VisitPrerequisites';
import { fetchVisit, useCall, type Visit } from './visit/useCall';
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
    <Page title="Video visit">
      {visit.problem && role === 'PATIENT' && (visit.problem.code === 'CONSENT_REQUIRED' || visit.problem.code === 'LOCATION_REQUIRED') ? (
        <VisitPrerequisites id={id} code={visit.problem.code} onDone={visit.reload} />
      ) : visit.problem ? (
        <>
          <ProblemBanner problem={visit.problem} />
          {visit.problem.code === 'VISIT_NOT_OPEN' && (
            <p>The visit opens 10 minutes before the appointment and closes 30 minutes after its end.</p>
          )}
          <div class="actions">
            <button type="button" class="secondary" onClick={visit.reload}>
              Try again
            </button>
            <a href={role === 'DOCTOR' ? '/doctor/agenda' : '/patient/appointments'}>
              Back to {role === 'DOCTOR' ? 'the agenda' : 'appointments'}
            </a>
          </div>
        </>
      ) : visit.data ? (
        <>
          {role === 'DOCTOR' && <PatientPreconditions visit={visit.data} />}
          <Call id={id} visit={visit.data} doctor={role === 'DOCTOR'} />
        </>
      ) : (
        <p aria-busy="true">Loading…</p>
      )}
    </Page>
  );
}

/** What the doctor sees of the patient's telehealth consent and stated location (issue 27). */
function PatientPreconditions({ visit }: { visit: Visit }) {
  const c = visit.patientConsent;
  const l = visit.patientLocation;
  return (
    <dl class="visit-preconditions" aria-label="Before the visit">
      <dt>Telehealth consent</dt>
      <dd>
        {c.currentVersion === null
          ? 'No consent published'
          : c.accepted
            ? `Accepted (version ${c.currentVersion})`
            : `Not accepted (version ${c.currentVersion})`}
      </dd>
      <dt>Patient's location</dt>
      <dd>{l ? `${l.city ? `${l.city}, ` : ''}${l.region}, ${l.country}` : 'Not stated'}</dd>
    </dl>
  );
}

function Call({ id, visit, doctor }: { id: string; visit: Visit; doctor: boolean }) {
  const peerName = `${visit.peer.role === 'DOCTOR' ? 'Dr. ' : ''}${visit.peer.firstname} ${visit.peer.lastname}`;
  const call = useCall(id, visit, doctor);
  const [completed, setCompleted] = useState(false);
  const complete = useAction();
  return (
    <div class="visit">
      <section aria-labelledby="call-h" class="stack">
        <h2 id="call-h">Visit with {peerName}</h2>
        {!doctor && call.state === 'lobby' && <PatientLobby call={call} doctorName={peerName} />}
        {doctor && <DoctorWaitingList call={call} />}
        <CallView call={call} peerName={peerName} />
        {doctor && <AllowPatientShare call={call} />}
        {call.state === 'idle' && <PreCallCheck visit={visit} />}
        {!call.open && (
          <p class="muted">
            The visit can be joined from {new Date(visit.opensAt).toLocaleString()} until {new Date(visit.closesAt).toLocaleString()}.
          </p>
        )}
        {doctor && (
          <div class="stack">
            <ProblemBanner problem={complete.problem} />
            {completed ? (
              <Notice kind="success">The appointment is completed.</Notice>
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
                Complete appointment
              </button>
            )}
          </div>
        )}
      </section>
      <Thread userId={visit.peer.id} onChange={() => undefined} />
    </div>
  );
}
