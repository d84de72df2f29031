// The video visit of one appointment, for its patient (/patient/visits/:id) and its doctor (/doctor/visits/:id).
// Media flows peer to peer; signalling runs over the tab's WebSocket (docs/api.md "Video visits",
// VISIT-PROTOCOL): W3C perfect negotiation with the doctor impolite (it offers) and the patient polite.
import { useEffect, useRef, useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { api, asProblem, type Problem } from '../../api/client';
import { useSession } from '../../app';
import { Notice, Page, ProblemBanner, useAction, useLoad } from '../../components/ui';
import { Thread } from '../../components/Conversations';
import { VisitPrerequisites } from '../../components/VisitPrerequisites';
import { onRealtime, sendRealtime, type VisitSignalData } from '../../realtime';

type CallState = 'idle' | 'waiting' | 'connecting' | 'connected' | 'reconnecting' | 'peer-left' | 'ended' | 'replaced' | 'closed';
type Visit = NonNullable<Awaited<ReturnType<typeof fetchVisit>>['data']>;

/** When the TURN credentials expire (ms), from their username `<expiry unix time>:<user id>`; null without TURN. */
function turnExpiry(servers: RTCIceServer[]): number | null {
  const username = servers.find((s) => typeof s.username === 'string')?.username;
  const seconds = username ? Number(username.split(':')[0]) : NaN;
  return Number.isFinite(seconds) ? seconds * 1000 : null;
}

const fetchVisit = (id: string) => api.GET('/api/v1/appointments/{id}/visit', { params: { path: { id } } });

/** The media we could get: camera and microphone, microphone only, or nothing (chat only), and why. */
async function getMedia(cameraId: string, micId: string): Promise<{ stream: MediaStream | null; note: string | null }> {
  const video: MediaTrackConstraints | boolean = cameraId ? { deviceId: { exact: cameraId } } : true;
  const audio: MediaTrackConstraints | boolean = micId ? { deviceId: { exact: micId } } : true;
  if (!navigator.mediaDevices?.getUserMedia)
    return { stream: null, note: 'This browser cannot use a camera or microphone here. You can still join and use the chat.' };
  try {
    return { stream: await navigator.mediaDevices.getUserMedia({ video, audio }), note: null };
  } catch (e) {
    const denied = (e as DOMException).name === 'NotAllowedError';
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio });
      return {
        stream,
        note: denied
          ? 'Camera access was denied: you can join with audio only. Allow the camera in your browser settings to be seen.'
          : 'No camera was found: you can join with audio only.',
      };
    } catch {
      return {
        stream: null,
        note: denied
          ? 'Camera and microphone access was denied. You can still join and use the chat; allow them in your browser settings to talk.'
          : 'No camera or microphone was found. You can still join and use the chat.',
      };
    }
  }
}

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
  const [state, setState] = useState<CallState>('idle');
  const [pcState, setPcState] = useState('none');
  const [note, setNote] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [devices, setDevices] = useState<MediaDeviceInfo[]>([]);
  const [cameraId, setCameraId] = useState('');
  const [micId, setMicId] = useState('');
  const [muted, setMuted] = useState(false);
  const [cameraOff, setCameraOff] = useState(false);
  const [now, setNow] = useState(Date.now());
  const [completed, setCompleted] = useState(false);
  const complete = useAction();
  const localRef = useRef<HTMLVideoElement>(null);
  const remoteRef = useRef<HTMLVideoElement>(null);
  // Mutable call state the WebSocket handlers read; kept out of render state.
  const r = useRef({
    stream: null as MediaStream | null,
    pc: null as RTCPeerConnection | null,
    joined: false,
    iceServers: visit.iceServers as RTCIceServer[],
    makingOffer: false,
    ignoreOffer: false,
    tracksAdded: false,
    queue: Promise.resolve() as Promise<void>,
    muted: false,
    cameraOff: false,
    /** The TURN expiry already renewed (one ICE restart per set of credentials). */
    renewed: 0,
  }).current;

  const open = now >= Date.parse(visit.opensAt) && now < Date.parse(visit.closesAt);
  useEffect(() => {
    const t = setInterval(() => {
      setNow(Date.now());
      // TURN credentials are short-lived (and end at the visit's close): a minute before they expire, fetch
      // fresh ones and move the call to a new relay with an ICE restart. A cancelled visit gets none.
      const expiry = turnExpiry(r.iceServers);
      if (r.pc && expiry !== null && expiry < Date.parse(visit.closesAt) && expiry - Date.now() < 60_000 && r.renewed !== expiry) {
        r.renewed = expiry;
        void restartIce();
      }
    }, 15_000);
    return () => clearInterval(t);
  }, []);

  const signal = (data: VisitSignalData) => sendRealtime({ type: 'visit.signal', appointmentId: id, data });

  const useStream = (stream: MediaStream | null) => {
    r.stream = stream;
    stream?.getAudioTracks().forEach((t) => (t.enabled = !r.muted));
    stream?.getVideoTracks().forEach((t) => (t.enabled = !r.cameraOff));
    if (localRef.current) localRef.current.srcObject = stream;
  };

  // Preview: ask for camera and microphone once, then list the devices (labels need the permission).
  const preview = async (cam: string, mic: string) => {
    const got = await getMedia(cam, mic);
    r.stream?.getTracks().forEach((t) => t.stop());
    useStream(got.stream);
    setNote(got.note);
    if (navigator.mediaDevices?.enumerateDevices) setDevices(await navigator.mediaDevices.enumerateDevices());
    // Swap the new tracks into a running call without renegotiating.
    if (r.pc && got.stream) {
      for (const sender of r.pc.getSenders()) {
        const next = got.stream.getTracks().find((t) => t.kind === sender.track?.kind);
        if (next) await sender.replaceTrack(next);
      }
    }
  };
  useEffect(() => {
    void preview('', '');
    return () => {
      r.stream?.getTracks().forEach((t) => t.stop());
    };
  }, []);

  const closePc = () => {
    const pc = r.pc;
    r.pc = null;
    if (pc) {
      pc.onicecandidate = pc.ontrack = pc.onnegotiationneeded = pc.onconnectionstatechange = pc.oniceconnectionstatechange = null;
      pc.close();
    }
    if (remoteRef.current) remoteRef.current.srcObject = null;
    setPcState('none');
  };

  const addTracks = (pc: RTCPeerConnection) => {
    if (r.tracksAdded) return;
    r.tracksAdded = true;
    const stream = r.stream;
    if (stream) for (const t of stream.getTracks()) pc.addTrack(t, stream);
    // Without a camera or microphone, still receive the other side's media.
    if (doctor) {
      if (!stream?.getAudioTracks().length) pc.addTransceiver('audio', { direction: 'recvonly' });
      if (!stream?.getVideoTracks().length) pc.addTransceiver('video', { direction: 'recvonly' });
    }
  };

  const restartIce = async () => {
    const pc = r.pc;
    if (!pc) return;
    // TURN credentials are short-lived: fetch fresh ones before restarting.
    const fresh = await fetchVisit(id).catch(() => null);
    if (fresh?.data && r.pc === pc) {
      r.iceServers = fresh.data.iceServers as RTCIceServer[];
      pc.setConfiguration({ ...pc.getConfiguration(), iceServers: r.iceServers });
    }
    if (r.pc === pc) pc.restartIce();
  };

  const newPc = () => {
    closePc();
    // `relay` (the operator's VISIT_ICE_TRANSPORT_POLICY) hides each participant's IP addresses from the other.
    const pc = new RTCPeerConnection({ iceServers: r.iceServers, iceTransportPolicy: visit.iceTransportPolicy });
    r.pc = pc;
    r.makingOffer = false;
    r.ignoreOffer = false;
    r.tracksAdded = false;
    const remote = new MediaStream();
    if (remoteRef.current) remoteRef.current.srcObject = remote;
    pc.ontrack = (e) => {
      remote.addTrack(e.track);
      if (remoteRef.current && remoteRef.current.srcObject !== remote) remoteRef.current.srcObject = remote;
    };
    pc.onicecandidate = (e) => signal({ candidate: e.candidate ? e.candidate.toJSON() : null });
    pc.onnegotiationneeded = async () => {
      try {
        r.makingOffer = true;
        await pc.setLocalDescription();
        if (pc.localDescription) signal({ description: pc.localDescription.toJSON() });
      } catch (e) {
        setProblem(asProblem(e));
      } finally {
        r.makingOffer = false;
      }
    };
    pc.onconnectionstatechange = () => {
      setPcState(pc.connectionState);
      if (pc.connectionState === 'connected') setState('connected');
      else if (pc.connectionState === 'disconnected' || pc.connectionState === 'failed') setState('reconnecting');
    };
    pc.oniceconnectionstatechange = () => {
      if (pc.iceConnectionState === 'failed') void restartIce();
    };
    setPcState(pc.connectionState);
    setState('connecting');
    if (doctor) addTracks(pc);
    return pc;
  };

  const onSignal = async (data: VisitSignalData) => {
    const pc = r.pc ?? newPc();
    const polite = !doctor;
    if (data.description) {
      const collision = data.description.type === 'offer' && (r.makingOffer || pc.signalingState !== 'stable');
      r.ignoreOffer = !polite && collision;
      if (r.ignoreOffer) return;
      await pc.setRemoteDescription(data.description);
      if (data.description.type === 'offer') {
        addTracks(pc);
        await pc.setLocalDescription();
        if (pc.localDescription) signal({ description: pc.localDescription.toJSON() });
      }
    } else if (data.candidate !== undefined) {
      try {
        await pc.addIceCandidate(data.candidate ?? undefined);
      } catch (e) {
        if (!r.ignoreOffer) throw e;
      }
    }
  };

  const join = () => {
    r.joined = true;
    setProblem(null);
    setState('waiting');
    sendRealtime({ type: 'visit.join', appointmentId: id });
  };

  const hangUp = () => {
    if (r.joined) sendRealtime({ type: 'visit.leave', appointmentId: id });
    r.joined = false;
    closePc();
    setState('ended');
  };

  useEffect(() => {
    const off = onRealtime((e) => {
      // A (re)connected socket: join (again) if we are in the call; the server treats it as a rejoin.
      if (e.type === 'status') {
        if (e.connected && r.joined) sendRealtime({ type: 'visit.join', appointmentId: id });
        return;
      }
      if (!e.type.startsWith('visit.') || !('appointmentId' in e) || e.appointmentId !== id) return;
      switch (e.type) {
        case 'visit.joined':
          if (!r.pc) setState(e.peerPresent ? 'connecting' : 'waiting');
          break;
        case 'visit.peer-joined':
          // Always a fresh connection: the other side starts over too.
          r.queue = r.queue.then(() => void newPc());
          break;
        case 'visit.signal':
          if (!r.joined) break;
          r.queue = r.queue.then(() => onSignal(e.data)).catch((err) => setProblem(asProblem(err)));
          break;
        case 'visit.peer-left':
          if (e.reason === 'left') {
            closePc();
            setState('peer-left');
          } else setState('reconnecting');
          break;
        case 'visit.error':
          if (e.code === 'REPLACED') {
            r.joined = false;
            closePc();
            setState('replaced');
          } else if (e.code === 'VISIT_NOT_OPEN') {
            r.joined = false;
            closePc();
            setState('closed');
          } else if ((e.code === 'PEER_ABSENT' || e.code === 'NOT_JOINED') && r.joined) {
            sendRealtime({ type: 'visit.join', appointmentId: id });
          } else if (e.code !== 'PEER_ABSENT' && e.code !== 'NOT_JOINED') {
            setProblem({ type: 'about:blank', title: 'Video visit', status: 0, code: e.code, detail: e.detail });
          }
          break;
        default:
          // visit.left answers this client's own leave; other features' frames were filtered out above.
          break;
      }
    });
    // A network change (new Wi-Fi, VPN): restart ICE rather than wait for it to fail.
    const online = () => void restartIce();
    window.addEventListener('online', online);
    return () => {
      off();
      window.removeEventListener('online', online);
      if (r.joined) sendRealtime({ type: 'visit.leave', appointmentId: id });
      r.joined = false;
      closePc();
    };
  }, [id]);

  const toggleMute = () => {
    r.muted = !r.muted;
    r.stream?.getAudioTracks().forEach((t) => (t.enabled = !r.muted));
    setMuted(r.muted);
  };
  const toggleCamera = () => {
    r.cameraOff = !r.cameraOff;
    r.stream?.getVideoTracks().forEach((t) => (t.enabled = !r.cameraOff));
    setCameraOff(r.cameraOff);
  };

  const words: Record<CallState, string> = {
    idle: 'Not joined',
    waiting: `Waiting for ${peerName}…`,
    connecting: 'Connecting…',
    connected: 'Connected',
    reconnecting: 'Reconnecting…',
    'peer-left': `${peerName} left the visit`,
    ended: 'You left the visit',
    replaced: 'You joined this visit from another tab or window: this one is out.',
    closed: 'The visit has closed.',
  };
  // After the other side hangs up we stay in the visit (they may come back) until we hang up too.
  const inCall =
    state === 'waiting' || state === 'connecting' || state === 'connected' || state === 'reconnecting' || state === 'peer-left';
  const cameras = devices.filter((d) => d.kind === 'videoinput');
  const mics = devices.filter((d) => d.kind === 'audioinput');
  const hasAudio = Boolean(r.stream?.getAudioTracks().length);
  const hasVideo = Boolean(r.stream?.getVideoTracks().length);

  return (
    <div class="visit">
      <section aria-labelledby="call-h" class="stack">
        <h2 id="call-h">Visit with {peerName}</h2>
        <p role="status" class="call-state" data-state={state} data-pc-state={pcState}>
          {words[state]}
        </p>
        {note && <Notice kind="warning">{note}</Notice>}
        <ProblemBanner problem={problem} />
        <div class="videos">
          <figure>
            <video ref={remoteRef} class="remote" autoplay playsInline aria-label={`Video of ${peerName}`} />
            <figcaption>{peerName}</figcaption>
          </figure>
          <figure>
            <video ref={localRef} class="local" autoplay playsInline muted aria-label="Your camera preview" />
            <figcaption>
              You{cameraOff ? ' (camera off)' : ''}
              {muted ? ' (muted)' : ''}
            </figcaption>
          </figure>
        </div>
        <div class="actions">
          {(cameras.length > 0 || mics.length > 0) && (
            <>
              <label for="visit-camera">Camera</label>
              <select
                id="visit-camera"
                value={cameraId}
                onChange={(e) => {
                  const v = (e.target as HTMLSelectElement).value;
                  setCameraId(v);
                  void preview(v, micId);
                }}
              >
                <option value="">Default camera</option>
                {cameras.map((d, i) => (
                  <option key={d.deviceId} value={d.deviceId}>
                    {d.label || `Camera ${i + 1}`}
                  </option>
                ))}
              </select>
              <label for="visit-mic">Microphone</label>
              <select
                id="visit-mic"
                value={micId}
                onChange={(e) => {
                  const v = (e.target as HTMLSelectElement).value;
                  setMicId(v);
                  void preview(cameraId, v);
                }}
              >
                <option value="">Default microphone</option>
                {mics.map((d, i) => (
                  <option key={d.deviceId} value={d.deviceId}>
                    {d.label || `Microphone ${i + 1}`}
                  </option>
                ))}
              </select>
            </>
          )}
        </div>
        <div class="actions" role="group" aria-label="Call controls">
          {!inCall && (
            <button type="button" disabled={!open} onClick={join}>
              {state === 'idle' ? 'Join video visit' : 'Join again'}
            </button>
          )}
          <button type="button" class="secondary" aria-pressed={muted} disabled={!hasAudio} onClick={toggleMute}>
            {muted ? 'Unmute' : 'Mute'}
          </button>
          <button type="button" class="secondary" aria-pressed={cameraOff} disabled={!hasVideo} onClick={toggleCamera}>
            {cameraOff ? 'Turn camera on' : 'Turn camera off'}
          </button>
          {inCall && (
            <button type="button" class="danger" onClick={hangUp}>
              Hang up
            </button>
          )}
        </div>
        {!open && (
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
                    if (r.joined) hangUp();
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
