// The call's views: its state line, the two videos, the device pickers and the call controls.
import { useState } from 'preact/hooks';
import { Notice, ProblemBanner } from '../../../components/ui';
import type { CallApi, CallState } from './useCall';

export function CallView({ call, peerName }: { call: CallApi; peerName: string }) {
  const [cameraId, setCameraId] = useState('');
  const [micId, setMicId] = useState('');
  const { state, cameraOff, muted } = call;
  const words: Record<CallState, string> = {
    idle: 'Not joined',
    lobby: 'You are in the waiting room: the doctor will let you in.',
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
    state === 'lobby' ||
    state === 'waiting' ||
    state === 'connecting' ||
    state === 'connected' ||
    state === 'reconnecting' ||
    state === 'peer-left';
  const cameras = call.devices.filter((d) => d.kind === 'videoinput');
  const mics = call.devices.filter((d) => d.kind === 'audioinput');
  return (
    <>
      <p role="status" class="call-state" data-state={state} data-pc-state={call.pcState}>
        {words[state]}
      </p>
      {call.note && <Notice kind="warning">{call.note}</Notice>}
      {call.sharing && (
        <div class="sharing-indicator" role="status">
          <strong>You are sharing: {call.sharing}.</strong> {peerName} sees it instead of your camera.{' '}
          <button type="button" class="danger" onClick={call.stopShare}>
            Stop sharing
          </button>
        </div>
      )}
      {call.peerSharing && (
        <p class="peer-sharing" role="status">
          {peerName} is sharing their screen.
        </p>
      )}
      <ProblemBanner problem={call.problem} />
      <div class="videos">
        <figure>
          <video ref={call.remoteRef} class="remote" autoplay playsInline aria-label={`Video of ${peerName}`} />
          <figcaption>{peerName}</figcaption>
        </figure>
        <figure>
          <video ref={call.localRef} class="local" autoplay playsInline muted aria-label="Your camera preview" />
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
                void call.preview(v, micId);
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
                void call.preview(cameraId, v);
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
          <button type="button" disabled={!call.open} onClick={call.join}>
            {state === 'idle' ? 'Join video visit' : 'Join again'}
          </button>
        )}
        <button type="button" class="secondary" aria-pressed={muted} disabled={!call.hasAudio} onClick={call.toggleMute}>
          {muted ? 'Unmute' : 'Mute'}
        </button>
        <button type="button" class="secondary" aria-pressed={cameraOff} disabled={!call.hasVideo} onClick={call.toggleCamera}>
          {cameraOff ? 'Turn camera on' : 'Turn camera off'}
        </button>
        {call.state === 'connected' && call.mayShare && !call.sharing && (
          <button type="button" class="secondary" onClick={() => void call.startShare()}>
            Share screen
          </button>
        )}
        {inCall && (
          <button type="button" class="danger" onClick={call.hangUp}>
            Hang up
          </button>
        )}
      </div>
    </>
  );
}
