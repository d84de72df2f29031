// The call of one video visit, without its views: the WebSocket signalling (docs/api.md "Video visits"), the
// local media, the RTCPeerConnection with W3C perfect negotiation (the doctor impolite: it offers; the patient
// polite), ICE restarts on failure, on a network change and before the TURN credentials expire, and the
// waiting room (the patient's lobby with the doctor's status; the doctor's list of who waits, and admitting).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, asProblem, type Problem } from '../../../api/client';
import { onRealtime, sendRealtime, type DoctorWhereabouts, type VisitSignalData } from '../../../realtime';
import { t } from '../../../i18n';

export type CallState =
  'idle' | 'lobby' | 'waiting' | 'connecting' | 'connected' | 'reconnecting' | 'peer-left' | 'ended' | 'replaced' | 'closed';

export const fetchVisit = (id: string) => api.GET('/api/v1/appointments/{id}/visit', { params: { path: { id } } });
export type Visit = NonNullable<Awaited<ReturnType<typeof fetchVisit>>['data']>;

export interface Waiting {
  id: string;
  name: string;
}
export interface LobbyText {
  text: string;
  sentAt: string;
}

/** When the TURN credentials expire (ms), from their username `<expiry unix time>:<user id>`; null without TURN. */
function turnExpiry(servers: RTCIceServer[]): number | null {
  const username = servers.find((s) => typeof s.username === 'string')?.username;
  const seconds = username ? Number(username.split(':')[0]) : NaN;
  return Number.isFinite(seconds) ? seconds * 1000 : null;
}

/** The media we could get: camera and microphone, microphone only, or nothing (chat only), and why. */
export async function getMedia(cameraId: string, micId: string): Promise<{ stream: MediaStream | null; note: string | null }> {
  const video: MediaTrackConstraints | boolean = cameraId ? { deviceId: { exact: cameraId } } : true;
  const audio: MediaTrackConstraints | boolean = micId ? { deviceId: { exact: micId } } : true;
  if (!navigator.mediaDevices?.getUserMedia) return { stream: null, note: t('call.media.unsupported') };
  try {
    return { stream: await navigator.mediaDevices.getUserMedia({ video, audio }), note: null };
  } catch (e) {
    const denied = (e as DOMException).name === 'NotAllowedError';
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio });
      return {
        stream,
        note: denied ? t('call.media.cameraDenied') : t('call.media.noCamera'),
      };
    } catch {
      return {
        stream: null,
        note: denied ? t('call.media.allDenied') : t('call.media.none'),
      };
    }
  }
}

/** How long a "disconnected" connection may heal by itself before the doctor restarts ICE. */
const ICE_RESTART_GRACE_MS = 2500;

export function useCall(id: string, visit: Visit, doctor: boolean) {
  const [state, setState] = useState<CallState>('idle');
  const [pcState, setPcState] = useState('none');
  const [note, setNote] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [devices, setDevices] = useState<MediaDeviceInfo[]>([]);
  const [muted, setMuted] = useState(false);
  const [cameraOff, setCameraOff] = useState(false);
  const [now, setNow] = useState(Date.now());
  const [lobby, setLobby] = useState<{ doctor: DoctorWhereabouts; lateMinutes: number | null } | null>(null);
  const [waiting, setWaiting] = useState<Waiting[]>([]);
  const [lobbyTexts, setLobbyTexts] = useState<LobbyText[]>([]);
  /** What this side shares (the screen track's label), or null; whether the other side shares; the patient's permission. */
  const [sharing, setSharing] = useState<string | null>(null);
  const [peerSharing, setPeerSharing] = useState(false);
  const [patientMayShare, setPatientMayShare] = useState(visit.patientMayShareScreen);
  const localRef = useRef<HTMLVideoElement>(null);
  const remoteRef = useRef<HTMLVideoElement>(null);
  // Mutable call state the WebSocket handlers read; kept out of render state.
  const r = useRef({
    stream: null as MediaStream | null,
    pc: null as RTCPeerConnection | null,
    joined: false,
    admitted: visit.admitted,
    iceServers: visit.iceServers as RTCIceServer[],
    makingOffer: false,
    ignoreOffer: false,
    tracksAdded: false,
    queue: Promise.resolve() as Promise<void>,
    muted: false,
    cameraOff: false,
    /** The TURN expiry already renewed (one ICE restart per set of credentials). */
    renewed: 0,
    /** The screen being shared, and the sender it went out on (replacing the camera, or added when there was none). */
    screen: null as MediaStreamTrack | null,
    screenSender: null as RTCRtpSender | null,
  }).current;

  const open = now >= Date.parse(visit.opensAt) && now < Date.parse(visit.closesAt);

  // Addressed to the other party by id: the server relays to that participant alone, also when guests are in the room.
  const signal = (data: VisitSignalData) => sendRealtime({ type: 'visit.signal', appointmentId: id, data, to: visit.peer.id });
  /** This portal's call is the two-person one: frames about anyone but the other party (a visit guest) are not its business. */
  const other = (participantId: string) => participantId === visit.peer.id;

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

  /** Stops sharing: the camera goes back on the sender (no renegotiation); the other side is told. */
  const stopShare = async (tell = true) => {
    const track = r.screen;
    if (!track) return;
    r.screen = null;
    track.onended = null;
    track.stop();
    const sender = r.screenSender;
    r.screenSender = null;
    setSharing(null);
    if (sender && r.pc) await sender.replaceTrack(r.stream?.getVideoTracks()[0] ?? null).catch(() => undefined);
    if (tell) sendRealtime({ type: 'visit.screen', appointmentId: id, sharing: false });
  };

  /** Shares a screen, window or tab in place of the camera (replaceTrack), or as an added track when there is no camera. */
  const startShare = async () => {
    const pc = r.pc;
    if (!pc || r.screen || !navigator.mediaDevices?.getDisplayMedia) return;
    let display: MediaStream;
    try {
      display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch {
      return; // the user closed the picker
    }
    const track = display.getVideoTracks()[0];
    if (!track || r.pc !== pc) {
      display.getTracks().forEach((t) => t.stop());
      return;
    }
    // Without a camera there is no video sender: the added track renegotiates (perfect negotiation, either side).
    const sender = pc.getSenders().find((x) => x.track?.kind === 'video');
    if (sender) await sender.replaceTrack(track);
    r.screen = track;
    r.screenSender = sender ?? pc.addTrack(track, display);
    // Stopped from the browser's own "Stop sharing" bar.
    track.onended = () => void stopShare();
    // What is shared, in words: the whole screen, one window or one browser tab (with its title when the browser gives one).
    const surface = (track.getSettings() as { displaySurface?: string }).displaySurface;
    const title = track.label && !/^screen:/.test(track.label) ? ` (${track.label})` : '';
    setSharing(
      surface === 'monitor'
        ? t('call.share.monitor')
        : surface === 'window'
          ? `${t('call.share.window')}${title}`
          : surface === 'browser'
            ? `${t('call.share.tab')}${title}`
            : t('call.share.screen'),
    );
    sendRealtime({ type: 'visit.screen', appointmentId: id, sharing: true });
  };

  /** The doctor allows or withdraws the patient's screen sharing. */
  const allowPatientShare = (allowed: boolean) => sendRealtime({ type: 'visit.screen-allow', appointmentId: id, allowed });

  const closePc = () => {
    void stopShare(false);
    setPeerSharing(false);
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

  /** Fresh ICE servers (TURN credentials are short-lived, and the relay may have moved) on the live connection. */
  const refreshIceServers = async (pc: RTCPeerConnection) => {
    const fresh = await fetchVisit(id).catch(() => null);
    if (fresh?.data && r.pc === pc) {
      r.iceServers = fresh.data.iceServers as RTCIceServer[];
      pc.setConfiguration({ ...pc.getConfiguration(), iceServers: r.iceServers });
    }
  };

  const restartIce = async () => {
    const pc = r.pc;
    if (!pc) return;
    await refreshIceServers(pc);
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
      // Resilience without leaving the room: the same RTCPeerConnection restarts ICE (perfect negotiation carries
      // the new offer over the signalling channel). On "disconnected" both sides take fresh ICE servers at once;
      // the doctor (who offers) restarts after a short grace, as a blip often heals by itself; on "failed" both do.
      if (pc.iceConnectionState === 'disconnected') {
        void refreshIceServers(pc);
        if (doctor)
          setTimeout(() => {
            if (r.pc === pc && pc.iceConnectionState === 'disconnected') void restartIce();
          }, ICE_RESTART_GRACE_MS);
      }
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
    setState(r.admitted ? 'waiting' : 'lobby');
    sendRealtime({ type: 'visit.join', appointmentId: id });
  };

  const hangUp = () => {
    if (r.joined) sendRealtime({ type: 'visit.leave', appointmentId: id });
    r.joined = false;
    closePc();
    setState('ended');
  };

  /** The doctor lets a waiting participant in (the server answers visit.admitted, then visit.peer-joined). */
  const admit = (participantId: string) => sendRealtime({ type: 'visit.admit', appointmentId: id, participantId });
  /** A waiting patient's short text to the doctor. */
  const sendLobbyText = (text: string) => sendRealtime({ type: 'visit.lobby-message', appointmentId: id, text });

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

  useEffect(() => {
    void preview('', '');
    return () => {
      r.stream?.getTracks().forEach((t) => t.stop());
    };
  }, []);

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
          if (!r.pc) setState(!r.admitted ? 'lobby' : e.peerPresent ? 'connecting' : 'waiting');
          break;
        case 'visit.lobby':
          setLobby({ doctor: e.doctor, lateMinutes: e.lateMinutes });
          if (r.joined && !r.admitted) setState('lobby');
          break;
        case 'visit.waiting': {
          // Guests (issue 30) are admitted from a client that holds the mesh (one connection per participant);
          // this portal's call holds one, so it neither lists nor admits them.
          if (e.participant.role === 'GUEST') break;
          const name = `${e.participant.firstname} ${e.participant.lastname}`;
          setWaiting((w) => (w.some((x) => x.id === e.participant.id) ? w : [...w, { id: e.participant.id, name }]));
          if (r.joined && !r.pc) setState('waiting');
          break;
        }
        case 'visit.admitted':
          r.admitted = true;
          setWaiting((w) => w.filter((x) => x.id !== e.participantId));
          if (!doctor) setState('connecting');
          break;
        case 'visit.lobby-message':
          setLobbyTexts((l) => [...l, { text: e.text, sentAt: e.sentAt }]);
          break;
        case 'visit.screen':
          if (other(e.from)) setPeerSharing(e.sharing);
          break;
        case 'visit.screen-allow':
          setPatientMayShare(e.allowed);
          if (!doctor && !e.allowed) void stopShare();
          break;
        case 'visit.presence':
          if (!e.present) setWaiting((w) => w.filter((x) => x.id !== e.userId));
          break;
        case 'visit.peer-joined':
          if (!other(e.peer.id)) break;
          // Always a fresh connection: the other side starts over too.
          r.queue = r.queue.then(() => void newPc());
          break;
        case 'visit.signal':
          if (!r.joined || !other(e.from)) break;
          r.queue = r.queue.then(() => onSignal(e.data)).catch((err) => setProblem(asProblem(err)));
          break;
        case 'visit.peer-left':
          if (!other(e.peerId)) break;
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
          } else if (e.code !== 'PEER_ABSENT' && e.code !== 'NOT_JOINED' && e.code !== 'NOT_ADMITTED') {
            setProblem({ type: 'about:blank', title: t('visit.title'), status: 0, code: e.code, detail: e.detail });
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

  return {
    state,
    pcState,
    note,
    problem,
    devices,
    muted,
    cameraOff,
    open,
    lobby,
    waiting,
    lobbyTexts,
    localRef,
    remoteRef,
    joined: () => r.joined,
    hasAudio: Boolean(r.stream?.getAudioTracks().length),
    hasVideo: Boolean(r.stream?.getVideoTracks().length),
    preview,
    join,
    hangUp,
    admit,
    sendLobbyText,
    sharing,
    peerSharing,
    mayShare: doctor || patientMayShare,
    patientMayShare,
    startShare,
    stopShare: () => void stopShare(),
    allowPatientShare,
    toggleMute,
    toggleCamera,
  };
}
export type CallApi = ReturnType<typeof useCall>;
