// The pre-call check (issue 30): camera, microphone (with a level meter), speaker (a test sound), and the
// network — a TURN allocation with the visit's own ICE servers (relay candidates gathered by an
// RTCPeerConnection) and round trips to our server over the WebSocket. Plain advice when something fails.
// Everything runs at once and ends within about ten seconds.
import { useEffect, useRef, useState } from 'preact/hooks';
import { probeRoundTrips } from '../../../realtime';
import type { Visit } from './useCall';
import { t } from '../../../i18n';

type Result = 'running' | 'ok' | 'warn' | 'fail';
interface Check {
  result: Result;
  text: string;
}

const RELAY_TIMEOUT_MS = 8000;
const LISTEN_MS = 3000;

/** What to tell the user when getUserMedia refused, by the error's name. */
function mediaAdvice(device: 'camera' | 'microphone', e: unknown): string {
  const name = (e as DOMException)?.name;
  if (name === 'NotAllowedError' || name === 'SecurityError') return t('precall.advice.blocked', { device });
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return t('precall.advice.notFound', { device });
  if (name === 'NotReadableError' || name === 'AbortError') return t('precall.advice.inUse', { device });
  return t('precall.advice.failed', { device, error: name ?? t('precall.advice.unknown') });
}

/** Gathers ICE candidates with relay only: answers whether the TURN server gave us an allocation. */
async function relayAllocation(iceServers: RTCIceServer[]): Promise<Check> {
  if (!iceServers.some((s) => [s.urls].flat().some((u) => u.startsWith('turn')))) {
    return { result: 'ok', text: t('precall.relay.none') };
  }
  const pc = new RTCPeerConnection({ iceServers, iceTransportPolicy: 'relay' });
  try {
    pc.createDataChannel('check');
    const relay = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), RELAY_TIMEOUT_MS);
      pc.onicecandidate = (e) => {
        if (e.candidate?.candidate.includes(' typ relay')) {
          clearTimeout(timer);
          resolve(true);
        } else if (!e.candidate) {
          clearTimeout(timer);
          resolve(false);
        }
      };
    });
    await pc.setLocalDescription(await pc.createOffer());
    return (await relay)
      ? { result: 'ok', text: t('precall.relay.ok') }
      : {
          result: 'fail',
          text: t('precall.relay.fail'),
        };
  } catch {
    return { result: 'fail', text: t('precall.relay.unsupported') };
  } finally {
    pc.close();
  }
}

export function PreCallCheck({ visit }: { visit: Visit }) {
  const [running, setRunning] = useState(false);
  const [camera, setCamera] = useState<Check | null>(null);
  const [mic, setMic] = useState<Check | null>(null);
  const [level, setLevel] = useState(0);
  const [relay, setRelay] = useState<Check | null>(null);
  const [rtt, setRtt] = useState<Check | null>(null);
  const [speaker, setSpeaker] = useState<string | null>(null);
  const cleanup = useRef<Array<() => void>>([]);
  useEffect(() => () => cleanup.current.forEach((f) => f()), []);

  const checkCamera = async () => {
    setCamera({ result: 'running', text: t('precall.camera.running') });
    try {
      const s = await navigator.mediaDevices.getUserMedia({ video: true });
      const label = s.getVideoTracks()[0]?.label;
      s.getTracks().forEach((t) => t.stop());
      setCamera({ result: 'ok', text: label ? t('precall.camera.okLabel', { label }) : t('precall.camera.ok') });
    } catch (e) {
      setCamera({ result: 'fail', text: mediaAdvice('camera', e) });
    }
  };

  const checkMic = async () => {
    setMic({ result: 'running', text: t('precall.mic.running') });
    let s: MediaStream;
    try {
      s = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (e) {
      setMic({ result: 'fail', text: mediaAdvice('microphone', e) });
      return;
    }
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 1024;
    ctx.createMediaStreamSource(s).connect(analyser);
    const buf = new Float32Array(analyser.fftSize);
    let peak = 0;
    const stop = () => {
      s.getTracks().forEach((t) => t.stop());
      void ctx.close();
    };
    cleanup.current.push(stop);
    await new Promise<void>((resolve) => {
      const t0 = performance.now();
      const tick = () => {
        analyser.getFloatTimeDomainData(buf);
        let sum = 0;
        for (const v of buf) sum += v * v;
        const rms = Math.sqrt(sum / buf.length);
        peak = Math.max(peak, rms);
        setLevel(Math.min(1, rms * 4));
        if (performance.now() - t0 < LISTEN_MS) setTimeout(tick, 100);
        else resolve();
      };
      tick();
    });
    stop();
    setLevel(0);
    setMic(
      peak > 0.01
        ? { result: 'ok', text: t('precall.mic.ok') }
        : {
            result: 'warn',
            text: t('precall.mic.silent'),
          },
    );
  };

  const checkNetwork = async () => {
    setRelay({ result: 'running', text: t('precall.relay.running') });
    setRtt({ result: 'running', text: t('precall.rtt.running') });
    const [r, trips] = await Promise.all([relayAllocation(visit.iceServers as RTCIceServer[]), probeRoundTrips(5)]);
    setRelay(r);
    if (!trips) {
      setRtt({ result: 'fail', text: t('precall.rtt.fail') });
      return;
    }
    const median = Math.round([...trips].sort((a, b) => a - b)[Math.floor(trips.length / 2)]);
    setRtt(
      median < 300
        ? { result: 'ok', text: t('precall.rtt.ok', { ms: median }) }
        : {
            result: 'warn',
            text: t('precall.rtt.slow', { ms: median }),
          },
    );
  };

  const run = async () => {
    setRunning(true);
    setSpeaker(null);
    // The camera first: a browser that asks for permission asks once for each device.
    await checkCamera();
    await Promise.all([checkMic(), checkNetwork()]);
    setRunning(false);
  };

  const playSound = () => {
    const ctx = new AudioContext();
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    gain.gain.value = 0.2;
    osc.frequency.value = 440;
    osc.connect(gain).connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 1);
    osc.onended = () => void ctx.close();
    setSpeaker(t('precall.speaker'));
  };

  const rows: Array<[string, string, Check | null]> = [
    ['camera', t('precall.row.camera'), camera],
    ['microphone', t('precall.row.microphone'), mic],
    ['relay', t('precall.row.relay'), relay],
    ['round-trip', t('precall.row.server'), rtt],
  ];
  const words: Record<Result, string> = {
    running: t('precall.result.running'),
    ok: t('precall.result.ok'),
    warn: t('precall.result.warn'),
    fail: t('precall.result.fail'),
  };
  return (
    <section aria-labelledby="precheck-h" class="stack precall-check">
      <h3 id="precheck-h">{t('precall.title')}</h3>
      <p class="muted">{t('precall.intro')}</p>
      <div class="actions">
        <button type="button" class="secondary" disabled={running} onClick={() => void run()}>
          {camera ? t('precall.again') : t('precall.start')}
        </button>
        <button type="button" class="secondary" onClick={playSound}>
          {t('precall.sound')}
        </button>
      </div>
      {speaker && <p role="status">{speaker}</p>}
      {mic?.result === 'running' && (
        <p>
          <label for="mic-level">{t('precall.level')}</label>{' '}
          <meter id="mic-level" min={0} max={1} value={level}>
            {Math.round(level * 100)}%
          </meter>
        </p>
      )}
      {camera && (
        <ul aria-label={t('precall.results')} aria-live="polite">
          {rows.map(([key, name, c]) =>
            c ? (
              <li key={key} data-check={key} data-result={c.result}>
                <strong>{t('precall.row', { name, result: words[c.result] })}</strong> {c.text}
              </li>
            ) : null,
          )}
        </ul>
      )}
    </section>
  );
}
