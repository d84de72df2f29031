// The call of one video visit, without its views: the WebSocket signalling (docs/api.md "Video visits"), the
// local media, one RTCPeerConnection per other participant (a full mesh of up to four: doctor, patient and two
// guests, docs/decisions.md), each pair with W3C perfect negotiation, ICE restarts on failure, on a network
// change and before the TURN credentials expire, and the waiting room (the lobby with the doctor's status;
// the doctor's list of who waits, and admitting). The signed-in portal and a guest's page share it: only the
// channel (the tab's socket, or the guest's own) and the way fresh ICE servers are fetched differ.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, asProblem, type Problem } from '../../../api/client';
import {
  onRealtime,
  sendRealtime,
  type DoctorWhereabouts,
  type RealtimeEvent,
  type VisitFrame,
  type VisitSignalData,
} from '../../../realtime';
import { t } from '../../../i18n';

export type CallState =
  'idle' | 'lobby' | 'waiting' | 'connecting' | 'connected' | 'reconnecting' | 'peer-left' | 'ended' | 'replaced' | 'closed' | 'revoked';

export const fetchVisit = (id: string) => api.GET('/api/v1/appointments/{id}/visit', { params: { path: { id } } });
export type Visit = NonNullable<Awaited<ReturnType<typeof fetchVisit>>['data']>;
/** Someone in the visit as the server names them (a guest: their display name, and the role they were invited as). */
export type Participant = Visit['peer'];
export type Role = Participant['role'];

/** How the call talks to the server: the signed-in tab's socket, or a guest's room-only one. */
export interface CallChannel {
  send(frame: VisitFrame): boolean;
  on(fn: (e: RealtimeEvent) => void): () => void;
}
export const sessionChannel: CallChannel = { send: sendRealtime, on: onRealtime };

/** Everything the call needs to know about the visit, whoever opened it. */
export interface CallSetup {
  appointmentId: string;
  me: { id: string; role: Role };
  opensAt: string;
  closesAt: string;
  admitted: boolean;
  patientMayShareScreen: boolean;
  iceServers: RTCIceServer[];
  iceTransportPolicy: RTCIceTransportPolicy;
  /** Fresh ICE servers (short-lived TURN credentials), or null when they cannot be had (a guest keeps theirs). */
  refreshIce: () => Promise<RTCIceServer[] | null>;
  channel: CallChannel;
}

/** The setup of a signed-in participant's call, from GET /appointments/{id}/visit. */
export function sessionSetup(id: string, visit: Visit, me: { id: string; role: Role }): CallSetup {
  return {
    appointmentId: id,
    me,
    opensAt: visit.opensAt,
    closesAt: visit.closesAt,
    admitted: visit.admitted,
    patientMayShareScreen: visit.patientMayShareScreen,
    iceServers: visit.iceServers as RTCIceServer[],
    iceTransportPolicy: visit.iceTransportPolicy,
    refreshIce: async () => ((await fetchVisit(id).catch(() => null))?.data?.iceServers as RTCIceServer[] | undefined) ?? null,
    channel: sessionChannel,
  };
}

/** A participant's name as the others see it: "Dr. …" for the doctor; a guest's own name and their role. */
export function participantName(p: Participant): string {
  const full = p.lastname ? `${p.firstname} ${p.lastname}` : p.firstname;
  if (p.role === 'DOCTOR') return t('mail.doctorName', { name: full });
  if (p.role === 'GUEST' && p.guestRole) return t('call.guestName', { name: full, role: t(GUEST_ROLE_KEYS[p.guestRole]) });
  return full;
}
export const GUEST_ROLE_KEYS = {
  FAMILY: 'accessLog.guestRole.FAMILY',
  INTERPRETER: 'accessLog.guestRole.INTERPRETER',
  CAREGIVER: 'accessLog.guestRole.CAREGIVER',
  OTHER: 'accessLog.guestRole.OTHER',
} as const;

export interface Waiting {
  id: string;
  name: string;
}
export interface LobbyText {
  from: string;
  text: string;
  sentAt: string;
}
/** One other participant of the call as the views show them: their video, connection and whether they share a screen. */
export interface Tile {
  id: string;
  name: string;
  role: Role;
  stream: MediaStream;
  pcState: RTCPeerConnectionState;
  /** Their connection dropped (visit.peer-left disconnected) and they have not come back yet. */
  away: boolean;
  sharing: boolean;
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

/** How long a "disconnected" connection may heal by itself before the offering side restarts ICE. */
const ICE_RESTART_GRACE_MS = 2500;

const RANK: Record<Role, number> = { DOCTOR: 0, PATIENT: 1, GUEST: 2 };
/**
 * The offer rule of a pair: the doctor offers to everyone, the patient to guests, and of two guests the one
 * with the smaller id. The offering side is the impolite one of perfect negotiation; both ends compute the
 * same answer, so exactly one side of each pair offers.
 */
export const offersTo = (me: { id: string; role: Role }, other: { id: string; role: Role }): boolean =>
  RANK[me.role] !== RANK[other.role] ? RANK[me.role] < RANK[other.role] : me.id < other.id;

/** One other participant's connection and its perfect-negotiation state. */
interface Peer {
  info: Participant;
  /** Made for a signal that came before its visit.peer-joined: the frame that follows completes it, it does not restart it. */
  provisional: boolean;
  pc: RTCPeerConnection;
  polite: boolean;
  makingOffer: boolean;
  ignoreOffer: boolean;
  tracksAdded: boolean;
  queue: Promise<void>;
  remote: MediaStream;
  away: boolean;
  sharing: boolean;
}

export function useCall(setup: CallSetup) {
  const { appointmentId: id, me, channel } = setup;
  const [base, setBase] = useState<'idle' | 'lobby' | 'in' | 'ended' | 'replaced' | 'closed' | 'revoked'>('idle');
  /** Re-render on any change to the peers (their map is mutable state the handlers share). */
  const [, setVersion] = useState(0);
  const [note, setNote] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [devices, setDevices] = useState<MediaDeviceInfo[]>([]);
  const [muted, setMuted] = useState(false);
  const [cameraOff, setCameraOff] = useState(false);
  const [now, setNow] = useState(Date.now());
  const [lobby, setLobby] = useState<{ doctor: DoctorWhereabouts; lateMinutes: number | null } | null>(null);
  const [waiting, setWaiting] = useState<Waiting[]>([]);
  const [lobbyTexts, setLobbyTexts] = useState<LobbyText[]>([]);
  /** What this side shares (in words), or null; the patient's permission. */
  const [sharing, setSharing] = useState<string | null>(null);
  const [patientMayShare, setPatientMayShare] = useState(setup.patientMayShareScreen);
  /** The last participant who left, while nobody else is in: "… left the visit". */
  const [lastLeft, setLastLeft] = useState<string | null>(null);
  /** Admitted, or someone is in: media is coming, so "connecting" rather than "waiting" until the first peer joins. */
  const [expecting, setExpecting] = useState(false);
  const localRef = useRef<HTMLVideoElement>(null);
  // Mutable call state the WebSocket handlers read; kept out of render state.
  const r = useRef({
    stream: null as MediaStream | null,
    peers: new Map<string, Peer>(),
    joined: false,
    admitted: setup.admitted,
    iceServers: setup.iceServers,
    muted: false,
    cameraOff: false,
    /** The TURN expiry already renewed (one ICE restart per set of credentials). */
    renewed: 0,
    /** The screen being shared: it goes out in place of the camera on every connection, new ones included. */
    screen: null as MediaStreamTrack | null,
    screenStream: null as MediaStream | null,
  }).current;
  const changed = () => setVersion((v) => v + 1);

  const open = now >= Date.parse(setup.opensAt) && now < Date.parse(setup.closesAt);

  // Addressed to one participant by id: the server relays to that participant alone.
  const signal = (to: string, data: VisitSignalData) => channel.send({ type: 'visit.signal', appointmentId: id, data, to });

  const useStream = (stream: MediaStream | null) => {
    r.stream = stream;
    stream?.getAudioTracks().forEach((t) => (t.enabled = !r.muted));
    stream?.getVideoTracks().forEach((t) => (t.enabled = !r.cameraOff));
    if (localRef.current) localRef.current.srcObject = stream;
  };

  /** The video this side sends: the shared screen while sharing, else the camera. */
  const outgoingVideo = () => r.screen ?? r.stream?.getVideoTracks()[0] ?? null;

  // Preview: ask for camera and microphone once, then list the devices (labels need the permission).
  const preview = async (cam: string, mic: string) => {
    const got = await getMedia(cam, mic);
    r.stream?.getTracks().forEach((t) => t.stop());
    useStream(got.stream);
    setNote(got.note);
    if (navigator.mediaDevices?.enumerateDevices) setDevices(await navigator.mediaDevices.enumerateDevices());
    // Swap the new tracks into every running connection without renegotiating (the screen stays while shared).
    if (got.stream)
      for (const peer of r.peers.values())
        for (const sender of peer.pc.getSenders()) {
          const kind = sender.track?.kind;
          const next = kind === 'video' ? outgoingVideo() : got.stream.getAudioTracks()[0];
          if (kind && next) await sender.replaceTrack(next);
        }
  };

  /** Stops sharing: the camera goes back on every connection (no renegotiation); the others are told. */
  const stopShare = async (tell = true) => {
    const track = r.screen;
    if (!track) return;
    r.screen = null;
    r.screenStream = null;
    track.onended = null;
    track.stop();
    setSharing(null);
    const camera = r.stream?.getVideoTracks()[0] ?? null;
    for (const peer of r.peers.values())
      for (const sender of peer.pc.getSenders()) if (sender.track === track) await sender.replaceTrack(camera).catch(() => undefined);
    if (tell) channel.send({ type: 'visit.screen', appointmentId: id, sharing: false });
  };

  /** Shares a screen, window or tab in place of the camera on every connection (replaceTrack), or as an added track without a camera. */
  const startShare = async () => {
    if (!r.peers.size || r.screen || !navigator.mediaDevices?.getDisplayMedia) return;
    let display: MediaStream;
    try {
      display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch {
      return; // the user closed the picker
    }
    const track = display.getVideoTracks()[0];
    if (!track || !r.peers.size) {
      display.getTracks().forEach((t) => t.stop());
      return;
    }
    r.screen = track;
    r.screenStream = display;
    for (const peer of r.peers.values()) {
      // Without a camera there is no video sender: the added track renegotiates (perfect negotiation, either side).
      const sender = peer.pc.getSenders().find((x) => x.track?.kind === 'video');
      if (sender) await sender.replaceTrack(track);
      else peer.pc.addTrack(track, display);
    }
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
    channel.send({ type: 'visit.screen', appointmentId: id, sharing: true });
  };

  /** The doctor allows or withdraws the patient's screen sharing. */
  const allowPatientShare = (allowed: boolean) => channel.send({ type: 'visit.screen-allow', appointmentId: id, allowed });

  const closePeer = (peerId: string) => {
    const peer = r.peers.get(peerId);
    if (!peer) return;
    r.peers.delete(peerId);
    const pc = peer.pc;
    pc.onicecandidate = pc.ontrack = pc.onnegotiationneeded = pc.onconnectionstatechange = pc.oniceconnectionstatechange = null;
    pc.close();
    if (!r.peers.size) void stopShare(false);
    changed();
  };
  const closeAll = () => {
    for (const peerId of [...r.peers.keys()]) closePeer(peerId);
  };

  const addTracks = (peer: Peer) => {
    if (peer.tracksAdded) return;
    peer.tracksAdded = true;
    const { pc } = peer;
    const stream = r.stream;
    for (const track of stream?.getAudioTracks() ?? []) pc.addTrack(track, stream!);
    const video = outgoingVideo();
    if (video) pc.addTrack(video, r.screen ? r.screenStream! : stream!);
    // Without a camera or microphone, still receive the other side's media (the offering side sets the m-lines).
    if (!peer.polite) {
      if (!stream?.getAudioTracks().length) pc.addTransceiver('audio', { direction: 'recvonly' });
      if (!video) pc.addTransceiver('video', { direction: 'recvonly' });
    }
  };

  /** Fresh ICE servers (TURN credentials are short-lived, and the relay may have moved) on every live connection. */
  const refreshIceServers = async () => {
    const fresh = await setup.refreshIce().catch(() => null);
    if (!fresh) return;
    r.iceServers = fresh;
    for (const peer of r.peers.values()) peer.pc.setConfiguration({ ...peer.pc.getConfiguration(), iceServers: fresh });
  };

  const restartIce = async (only?: Peer) => {
    if (!r.peers.size) return;
    await refreshIceServers();
    for (const peer of only ? [only] : r.peers.values()) if (r.peers.get(peer.info.id) === peer) peer.pc.restartIce();
  };

  /** A fresh connection to `info` (provisional: made for a signal that came before its visit.peer-joined). */
  const newPeer = (info: Participant, provisional = false): Peer => {
    const old = r.peers.get(info.id);
    if (old) closePeer(info.id);
    // `relay` (the operator's VISIT_ICE_TRANSPORT_POLICY) hides each participant's IP addresses from the others.
    const pc = new RTCPeerConnection({ iceServers: r.iceServers, iceTransportPolicy: setup.iceTransportPolicy });
    const peer: Peer = {
      info,
      provisional,
      pc,
      // One made for an early signal answers it: the sender is the side that offers.
      polite: provisional || !offersTo(me, info),
      makingOffer: false,
      ignoreOffer: false,
      tracksAdded: false,
      queue: Promise.resolve(),
      remote: new MediaStream(),
      away: false,
      sharing: false,
    };
    r.peers.set(info.id, peer);
    setLastLeft(null);
    pc.ontrack = (e) => {
      peer.remote.addTrack(e.track);
      changed();
    };
    pc.onicecandidate = (e) => signal(info.id, { candidate: e.candidate ? e.candidate.toJSON() : null });
    pc.onnegotiationneeded = async () => {
      try {
        peer.makingOffer = true;
        await pc.setLocalDescription();
        if (pc.localDescription) signal(info.id, { description: pc.localDescription.toJSON() });
      } catch (e) {
        setProblem(asProblem(e));
      } finally {
        peer.makingOffer = false;
      }
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'connected') peer.away = false;
      changed();
    };
    pc.oniceconnectionstatechange = () => {
      // Resilience without leaving the room: the same RTCPeerConnection restarts ICE (perfect negotiation carries
      // the new offer over the signalling channel). On "disconnected" both sides take fresh ICE servers at once;
      // the offering side restarts after a short grace, as a blip often heals by itself; on "failed" both do.
      if (pc.iceConnectionState === 'disconnected') {
        void refreshIceServers();
        if (!peer.polite)
          setTimeout(() => {
            if (r.peers.get(info.id) === peer && pc.iceConnectionState === 'disconnected') void restartIce(peer);
          }, ICE_RESTART_GRACE_MS);
      }
      if (pc.iceConnectionState === 'failed') void restartIce(peer);
      changed();
    };
    if (!peer.polite) addTracks(peer);
    changed();
    return peer;
  };

  const onSignal = async (peer: Peer, data: VisitSignalData) => {
    const { pc } = peer;
    if (data.description) {
      const collision = data.description.type === 'offer' && (peer.makingOffer || pc.signalingState !== 'stable');
      peer.ignoreOffer = !peer.polite && collision;
      if (peer.ignoreOffer) return;
      await pc.setRemoteDescription(data.description);
      if (data.description.type === 'offer') {
        addTracks(peer);
        await pc.setLocalDescription();
        if (pc.localDescription) signal(peer.info.id, { description: pc.localDescription.toJSON() });
      }
    } else if (data.candidate !== undefined) {
      try {
        await pc.addIceCandidate(data.candidate ?? undefined);
      } catch (e) {
        if (!peer.ignoreOffer) throw e;
      }
    }
  };

  const join = () => {
    r.joined = true;
    setProblem(null);
    setLastLeft(null);
    setBase(r.admitted ? 'in' : 'lobby');
    channel.send({ type: 'visit.join', appointmentId: id });
  };

  const leaveRoom = (next: 'ended' | 'replaced' | 'closed' | 'revoked') => {
    r.joined = false;
    closeAll();
    setExpecting(false);
    setBase(next);
  };

  const hangUp = () => {
    if (r.joined) channel.send({ type: 'visit.leave', appointmentId: id });
    leaveRoom('ended');
  };

  /** The doctor lets a waiting participant in (the server answers visit.admitted, then visit.peer-joined). */
  const admit = (participantId: string) => channel.send({ type: 'visit.admit', appointmentId: id, participantId });
  /** A waiting participant's short text to the doctor. */
  const sendLobbyText = (text: string) => channel.send({ type: 'visit.lobby-message', appointmentId: id, text });

  useEffect(() => {
    const timer = setInterval(() => {
      setNow(Date.now());
      // TURN credentials are short-lived (and end at the visit's close): a minute before they expire, fetch
      // fresh ones and move the calls to a new relay with an ICE restart. A cancelled visit gets none.
      const expiry = turnExpiry(r.iceServers);
      if (r.peers.size && expiry !== null && expiry < Date.parse(setup.closesAt) && expiry - Date.now() < 60_000 && r.renewed !== expiry) {
        r.renewed = expiry;
        void restartIce();
      }
    }, 15_000);
    return () => clearInterval(timer);
  }, []);

  useEffect(() => {
    void preview('', '');
    return () => {
      r.stream?.getTracks().forEach((t) => t.stop());
    };
  }, []);

  useEffect(() => {
    const off = channel.on((e) => {
      // A (re)connected socket: join (again) if we are in the call; the server treats it as a rejoin.
      if (e.type === 'status') {
        if (e.connected && r.joined) channel.send({ type: 'visit.join', appointmentId: id });
        return;
      }
      if (!e.type.startsWith('visit.') || !('appointmentId' in e) || e.appointmentId !== id) return;
      switch (e.type) {
        case 'visit.joined':
          if (r.admitted && e.peerPresent) setExpecting(true);
          break;
        case 'visit.lobby':
          setLobby({ doctor: e.doctor, lateMinutes: e.lateMinutes });
          if (r.joined && !r.admitted) setBase('lobby');
          break;
        case 'visit.waiting': {
          const who = e.participant;
          const name = participantName(who);
          setWaiting((w) => (w.some((x) => x.id === who.id) ? w : [...w, { id: who.id, name }]));
          break;
        }
        case 'visit.admitted':
          if (e.participantId === me.id) {
            r.admitted = true;
            setExpecting(true);
            if (r.joined) setBase('in');
          } else setWaiting((w) => w.filter((x) => x.id !== e.participantId));
          break;
        case 'visit.lobby-message':
          setLobbyTexts((l) => [...l, { from: e.from, text: e.text, sentAt: e.sentAt }]);
          break;
        case 'visit.screen': {
          const peer = r.peers.get(e.from);
          if (peer) {
            peer.sharing = e.sharing;
            changed();
          }
          break;
        }
        case 'visit.screen-allow':
          setPatientMayShare(e.allowed);
          if (me.role === 'PATIENT' && !e.allowed) void stopShare();
          break;
        case 'visit.presence':
          if (!e.present) setWaiting((w) => w.filter((x) => x.id !== e.userId));
          break;
        case 'visit.peer-joined': {
          const known = r.peers.get(e.peer.id);
          // A signal that overtook this frame already made the connection: keep it and learn who it is.
          if (known?.provisional) {
            known.provisional = false;
            known.info = e.peer;
            changed();
            break;
          }
          // Otherwise always a fresh connection: the other side starts over too.
          setExpecting(false);
          if (r.joined) newPeer(e.peer);
          break;
        }
        case 'visit.signal': {
          if (!r.joined) break;
          const peer =
            r.peers.get(e.from) ??
            // Before its visit.peer-joined (frames of two senders may cross): the sender offers, so this side answers.
            newPeer({ id: e.from, firstname: '', lastname: '', role: 'GUEST' }, true);
          // An error on a connection that was replaced meanwhile (the peer re-joined) is that old connection's, not the call's.
          peer.queue = peer.queue
            .then(() => onSignal(peer, e.data))
            .catch((err) => {
              if (r.peers.get(peer.info.id) === peer) setProblem(asProblem(err));
            });
          break;
        }
        case 'visit.peer-left': {
          setWaiting((w) => w.filter((x) => x.id !== e.peerId));
          const peer = r.peers.get(e.peerId);
          if (!peer) break;
          if (e.reason === 'left') {
            closePeer(e.peerId);
            if (!r.peers.size) setLastLeft(participantName(peer.info));
          } else {
            peer.away = true;
            changed();
          }
          break;
        }
        case 'visit.error':
          if (e.code === 'REPLACED') leaveRoom('replaced');
          else if (e.code === 'VISIT_NOT_OPEN') leaveRoom('closed');
          else if (e.code === 'REVOKED') leaveRoom('revoked');
          else if ((e.code === 'PEER_ABSENT' || e.code === 'NOT_JOINED') && r.joined) {
            // A signal to someone who just left, or a socket that lost its join: join again (the server treats it as a rejoin).
            if (e.code === 'NOT_JOINED') channel.send({ type: 'visit.join', appointmentId: id });
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
      if (r.joined) channel.send({ type: 'visit.leave', appointmentId: id });
      r.joined = false;
      closeAll();
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

  const tiles: Tile[] = [...r.peers.values()]
    .filter((p) => !p.provisional || p.remote.getTracks().length > 0)
    .sort((a, b) => RANK[a.info.role] - RANK[b.info.role] || a.info.id.localeCompare(b.info.id))
    .map((p) => ({
      id: p.info.id,
      name: participantName(p.info),
      role: p.info.role,
      stream: p.remote,
      pcState: p.pc.connectionState,
      away: p.away,
      sharing: p.sharing,
    }));
  const peers = [...r.peers.values()];
  // One line for the whole call: every connection up is "connected"; one dropping is "reconnecting".
  const state: CallState =
    base !== 'in'
      ? base
      : !peers.length
        ? lastLeft
          ? 'peer-left'
          : expecting
            ? 'connecting'
            : 'waiting'
        : peers.some((p) => p.away || p.pc.connectionState === 'disconnected' || p.pc.connectionState === 'failed')
          ? 'reconnecting'
          : peers.every((p) => p.pc.connectionState === 'connected')
            ? 'connected'
            : 'connecting';
  const pcState = !peers.length ? 'none' : (peers.find((p) => p.pc.connectionState !== 'connected')?.pc.connectionState ?? 'connected');

  return {
    state,
    pcState,
    role: me.role,
    tiles,
    lastLeft,
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
    joined: () => r.joined,
    hasAudio: Boolean(r.stream?.getAudioTracks().length),
    hasVideo: Boolean(r.stream?.getVideoTracks().length),
    preview,
    join,
    hangUp,
    admit,
    sendLobbyText,
    sharing,
    /** Who among the others shares their screen now. */
    peerSharing: tiles.filter((x) => x.sharing).map((x) => x.name),
    // Guests never share (the server refuses); the patient while the doctor allows it.
    mayShare: me.role === 'DOCTOR' || (me.role === 'PATIENT' && patientMayShare),
    patientMayShare,
    startShare,
    stopShare: () => void stopShare(),
    allowPatientShare,
    toggleMute,
    toggleCamera,
  };
}
export type CallApi = ReturnType<typeof useCall>;
