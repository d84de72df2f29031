// The call's views: its state line, the two videos, the device pickers and the call controls.
import { useState } from 'preact/hooks';
import { Notice, ProblemBanner } from '../../../components/ui';
import type { CallApi, CallState } from './useCall';
import { t, tRich } from '../../../i18n';

export function CallView({ call, peerName }: { call: CallApi; peerName: string }) {
  const [cameraId, setCameraId] = useState('');
  const [micId, setMicId] = useState('');
  const { state, cameraOff, muted } = call;
  const words: Record<CallState, string> = {
    idle: t('call.state.idle'),
    lobby: t('call.state.lobby'),
    waiting: t('call.state.waiting', { name: peerName }),
    connecting: t('call.state.connecting'),
    connected: t('call.state.connected'),
    reconnecting: t('call.state.reconnecting'),
    'peer-left': t('call.state.peerLeft', { name: peerName }),
    ended: t('call.state.ended'),
    replaced: t('call.state.replaced'),
    closed: t('call.state.closed'),
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
          {tRich('call.sharing', { what: call.sharing, name: peerName, b: (c) => <strong>{c}</strong> })}{' '}
          <button type="button" class="danger" onClick={call.stopShare}>
            {t('call.stopShare')}
          </button>
        </div>
      )}
      {call.peerSharing && (
        <p class="peer-sharing" role="status">
          {t('call.peerSharing', { name: peerName })}
        </p>
      )}
      <ProblemBanner problem={call.problem} />
      <div class="videos">
        <figure>
          <video ref={call.remoteRef} class="remote" autoplay playsInline aria-label={t('call.videoOf', { name: peerName })} />
          <figcaption>{peerName}</figcaption>
        </figure>
        <figure>
          <video ref={call.localRef} class="local" autoplay playsInline muted aria-label={t('call.preview')} />
          <figcaption>
            {t('call.you')}
            {cameraOff ? ` ${t('call.cameraOffTag')}` : ''}
            {muted ? ` ${t('call.mutedTag')}` : ''}
          </figcaption>
        </figure>
      </div>
      <div class="actions">
        {(cameras.length > 0 || mics.length > 0) && (
          <>
            <label for="visit-camera">{t('call.camera')}</label>
            <select
              id="visit-camera"
              value={cameraId}
              onChange={(e) => {
                const v = (e.target as HTMLSelectElement).value;
                setCameraId(v);
                void call.preview(v, micId);
              }}
            >
              <option value="">{t('call.defaultCamera')}</option>
              {cameras.map((d, i) => (
                <option key={d.deviceId} value={d.deviceId}>
                  {d.label || t('call.cameraN', { n: i + 1 })}
                </option>
              ))}
            </select>
            <label for="visit-mic">{t('call.microphone')}</label>
            <select
              id="visit-mic"
              value={micId}
              onChange={(e) => {
                const v = (e.target as HTMLSelectElement).value;
                setMicId(v);
                void call.preview(cameraId, v);
              }}
            >
              <option value="">{t('call.defaultMicrophone')}</option>
              {mics.map((d, i) => (
                <option key={d.deviceId} value={d.deviceId}>
                  {d.label || t('call.microphoneN', { n: i + 1 })}
                </option>
              ))}
            </select>
          </>
        )}
      </div>
      <div class="actions" role="group" aria-label={t('call.controls')}>
        {!inCall && (
          <button type="button" disabled={!call.open} onClick={call.join}>
            {state === 'idle' ? t('call.join') : t('call.joinAgain')}
          </button>
        )}
        <button type="button" class="secondary" aria-pressed={muted} disabled={!call.hasAudio} onClick={call.toggleMute}>
          {muted ? t('call.unmute') : t('call.mute')}
        </button>
        <button type="button" class="secondary" aria-pressed={cameraOff} disabled={!call.hasVideo} onClick={call.toggleCamera}>
          {cameraOff ? t('call.cameraOn') : t('call.cameraOff')}
        </button>
        {call.state === 'connected' && call.mayShare && !call.sharing && (
          <button type="button" class="secondary" onClick={() => void call.startShare()}>
            {t('call.share')}
          </button>
        )}
        {inCall && (
          <button type="button" class="danger" onClick={call.hangUp}>
            {t('call.hangUp')}
          </button>
        )}
      </div>
    </>
  );
}
