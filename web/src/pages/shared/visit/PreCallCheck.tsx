// The pre-call check (issue 30): camera, microphone (with a level meter), speaker (a test sound), and the
// network — a TURN allocation with the visit's own ICE servers (relay candidates gathered by an
// RTCPeerConnection) and round trips to our server over the WebSocket. Plain advice when something fails.
// Everything runs at once and ends within about ten seconds.
import { useEffect, useRef, useState } from 'preact/hooks';
import { probeRoundTrips } from '../../../realtime';
import type { Visit } from './useCall';

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
  if (name === 'NotAllowedError' || name === 'SecurityError')
    return `Your browser blocked the ${device}. Click the camera or lock icon in the address bar, allow the ${device} for this site, then run the check again.`;
  if (name === 'NotFoundError' || name === 'OverconstrainedError')
    return `No ${device} was found. Connect one (or use a phone or laptop that has one) and run the check again.`;
  if (name === 'NotReadableError' || name === 'AbortError')
    return `The ${device} is in use by another program (another call?). Close it and run the check again.`;
  return `The ${device} could not be started (${name ?? 'unknown error'}). Try another browser, or restart this one.`;
}

/** Gathers ICE candidates with relay only: answers whether the TURN server gave us an allocation. */
async function relayAllocation(iceServers: RTCIceServer[]): Promise<Check> {
  if (!iceServers.some((s) => [s.urls].flat().some((u) => u.startsWith('turn')))) {
    return { result: 'ok', text: 'No relay server is configured for this clinic: the call connects directly.' };
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
      ? { result: 'ok', text: 'Our relay server answered: the call can get through firewalls.' }
      : {
          result: 'fail',
          text: 'Our relay server could not be reached. A firewall or VPN may block it: try another network (e.g. your phone’s hotspot) or ask your IT department to allow it.',
        };
  } catch {
    return { result: 'fail', text: 'This browser could not test the connection. Try an up-to-date Chrome, Firefox, Edge or Safari.' };
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
    setCamera({ result: 'running', text: 'Checking the camera…' });
    try {
      const s = await navigator.mediaDevices.getUserMedia({ video: true });
      const label = s.getVideoTracks()[0]?.label;
      s.getTracks().forEach((t) => t.stop());
      setCamera({ result: 'ok', text: `The camera works${label ? ` (${label})` : ''}.` });
    } catch (e) {
      setCamera({ result: 'fail', text: mediaAdvice('camera', e) });
    }
  };

  const checkMic = async () => {
    setMic({ result: 'running', text: 'Listening… say something.' });
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
        ? { result: 'ok', text: 'The microphone works: we heard you.' }
        : {
            result: 'warn',
            text: 'The microphone gives no sound. Check that it is not muted (a switch on the headset or keyboard) and that the right one is chosen in your system settings.',
          },
    );
  };

  const checkNetwork = async () => {
    setRelay({ result: 'running', text: 'Testing the connection to our relay server…' });
    setRtt({ result: 'running', text: 'Measuring the round trip to our server…' });
    const [r, trips] = await Promise.all([relayAllocation(visit.iceServers as RTCIceServer[]), probeRoundTrips(5)]);
    setRelay(r);
    if (!trips) {
      setRtt({ result: 'fail', text: 'Our server did not answer. Check your internet connection and reload the page.' });
      return;
    }
    const median = Math.round([...trips].sort((a, b) => a - b)[Math.floor(trips.length / 2)]);
    setRtt(
      median < 300
        ? { result: 'ok', text: `Round trip to our server: ${median} ms. Good.` }
        : {
            result: 'warn',
            text: `Round trip to our server: ${median} ms. The call may lag: move closer to the Wi-Fi router or close other programs using the internet.`,
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
    setSpeaker(
      'A one-second tone played. If you heard nothing, turn the volume up or choose other speakers or headphones in your system settings.',
    );
  };

  const rows: Array<[string, string, Check | null]> = [
    ['camera', 'Camera', camera],
    ['microphone', 'Microphone', mic],
    ['relay', 'Connection (relay server)', relay],
    ['round-trip', 'Connection (our server)', rtt],
  ];
  const words: Record<Result, string> = { running: 'Checking', ok: 'OK', warn: 'Warning', fail: 'Problem' };
  return (
    <section aria-labelledby="precheck-h" class="stack precall-check">
      <h3 id="precheck-h">Check your setup</h3>
      <p class="muted">Camera, microphone, speakers and connection, in about ten seconds. You can join without it.</p>
      <div class="actions">
        <button type="button" class="secondary" disabled={running} onClick={() => void run()}>
          {camera ? 'Check again' : 'Check my setup'}
        </button>
        <button type="button" class="secondary" onClick={playSound}>
          Play a test sound
        </button>
      </div>
      {speaker && <p role="status">{speaker}</p>}
      {mic?.result === 'running' && (
        <p>
          <label for="mic-level">Microphone level</label>{' '}
          <meter id="mic-level" min={0} max={1} value={level}>
            {Math.round(level * 100)}%
          </meter>
        </p>
      )}
      {camera && (
        <ul aria-label="Setup check results" aria-live="polite">
          {rows.map(([key, name, c]) =>
            c ? (
              <li key={key} data-check={key} data-result={c.result}>
                <strong>
                  {name}: {words[c.result]}.
                </strong>{' '}
                {c.text}
              </li>
            ) : null,
          )}
        </ul>
      )}
    </section>
  );
}
