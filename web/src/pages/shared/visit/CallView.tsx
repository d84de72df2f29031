// The call's views: its state line, a video per participant (two to four, a grid), the device pickers and the
// call controls.
import { useEffect, useRef, useState } from 'preact/hooks';
import { Notice, ProblemBanner } from '../../../components/ui';
import type { CallApi, CallState, Tile } from './useCall';
import { t, tRich } from '../../../i18n';

/** One other participant's video: their name, and whether their connection is coming back or they share a screen. */
function RemoteVideo({ tile }: { tile: Tile }) {
  const ref = useRef<HTMLVideoElement>(null);
  // The stream is the connection's own and gains its tracks as they arrive: set once per connection.
  useEffect(() => {
    if (ref.current && ref.current.srcObject !== tile.stream) ref.current.srcObject = tile.stream;
  }, [tile.stream]);
  const reconnecting = tile.away || tile.pcState === 'disconnected' || tile.pcState === 'failed';
  return (
    <figure class="tile" data-participant={tile.id} data-role={tile.role} data-pc-state={tile.pcState}>
      <video ref={ref} class="remote" autoplay playsInline aria-label={t('call.videoOf', { name: tile.name })} />
      <figcaption>
        {tile.name}
        {reconnecting ? ` ${t('call.reconnectingTag')}` : ''}
        {tile.sharing ? ` ${t('call.sharingTag')}` : ''}
      </figcaption>
    </figure>
  );
}

export function CallView({ call, peerName }: { call: CallApi; peerName: string }) {
  const [cameraId, setCameraId] = useState('');
  const [micId, setMicId] = useState('');
  const { state, cameraOff, muted, tiles } = call;
  const words: Record<CallState, string> = {
    idle: t('call.state.idle'),
    lobby: t('call.state.lobby'),
    waiting: t('call.state.waiting', { name: peerName }),
    connecting: t('call.state.connecting'),
    connected: t('call.state.connected'),
    reconnecting: t('call.state.reconnecting'),
    'peer-left': t('call.state.peerLeft', { name: call.lastLeft ?? peerName }),
    ended: t('call.state.ended'),
    replaced: t('call.state.replaced'),
    closed: t('call.state.closed'),
    revoked: t('call.state.revoked'),
  };
  // After the others hang up we stay in the visit (they may come back) until we hang up too.
  const inCall =
    state === 'lobby' ||
    state === 'waiting' ||
    state === 'connecting' ||
    state === 'connected' ||
    state === 'reconnecting' ||
    state === 'peer-left';
  // A revoked guest's pass is dead: no way back in.
  const gone = state === 'revoked';
  const cameras = call.devices.filter((d) => d.kind === 'videoinput');
  const mics = call.devices.filter((d) => d.kind === 'audioinput');
  return (
    <>
      <p role="status" class="call-state" data-state={state} data-pc-state={call.pcState} data-peers={tiles.length}>
        {words[state]}
      </p>
      {call.note && <Notice kind="warning">{call.note}</Notice>}
      {call.sharing && (
        <div class="sharing-indicator" role="status">
          {tRich('call.sharing', {
            what: call.sharing,
            audience: tiles.length === 1 ? 'one' : 'many',
            name: tiles[0]?.name ?? peerName,
            b: (c) => <strong>{c}</strong>,
          })}{' '}
          <button type="button" class="danger" onClick={call.stopShare}>
            {t('call.stopShare')}
          </button>
        </div>
      )}
      {call.peerSharing.map((name) => (
        <p key={name} class="peer-sharing" role="status">
          {t('call.peerSharing', { name })}
        </p>
      ))}
      <ProblemBanner problem={call.problem} />
      <div class="videos" data-count={Math.max(1, tiles.length)}>
        {tiles.length ? (
          tiles.map((tile) => <RemoteVideo key={tile.id} tile={tile} />)
        ) : (
          <figure class="tile">
            <div class="video-box" role="img" aria-label={t('call.videoOf', { name: peerName })} />
            <figcaption>{peerName}</figcaption>
          </figure>
        )}
        <figure class="self">
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
        {!inCall && !gone && (
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
