// The waiting room's views: the patient's lobby (the doctor's status, a short text to the doctor) and the
// doctor's list of who waits, with their texts and an "Admit" button each.
import { useState } from 'preact/hooks';
import type { CallApi } from './useCall';

/** The server's bound (visit.lobby-message): 280 characters after trimming, no control characters. */
const LOBBY_TEXT_MAX = 280;

export function PatientLobby({ call, doctorName }: { call: CallApi; doctorName: string }) {
  const [text, setText] = useState('');
  const [sent, setSent] = useState<string[]>([]);
  const l = call.lobby;
  const status = !l
    ? 'Checking whether the doctor is in…'
    : l.doctor === 'here'
      ? `${doctorName} is here and will let you in shortly.`
      : l.doctor === 'busy'
        ? `${doctorName} is in another visit.`
        : `${doctorName} has not joined yet.`;
  const send = (e: Event) => {
    e.preventDefault();
    // One line: the server refuses control characters, line breaks included.
    const clean = text.replace(/\s+/g, ' ').trim();
    if (!clean) return;
    call.sendLobbyText(clean);
    setSent((s) => [...s, clean]);
    setText('');
  };
  return (
    <section aria-labelledby="lobby-h" class="stack visit-lobby">
      <h3 id="lobby-h">Waiting room</h3>
      <p class="doctor-status" data-doctor={l?.doctor ?? 'unknown'} aria-live="polite">
        {status}
        {l?.lateMinutes ? ` Running late by about ${l.lateMinutes} minutes.` : ''}
      </p>
      <form onSubmit={send} class="stack">
        <label for="lobby-text">Message to {doctorName} (optional)</label>
        <input id="lobby-text" maxLength={LOBBY_TEXT_MAX} value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
        <button type="submit" class="secondary" disabled={!text.trim()}>
          Send to the doctor
        </button>
      </form>
      {sent.length > 0 && (
        <ul aria-label="Your messages" class="lobby-sent">
          {sent.map((s, i) => (
            <li key={i}>{s}</li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function DoctorWaitingList({ call }: { call: CallApi }) {
  if (!call.waiting.length && !call.lobbyTexts.length) return null;
  return (
    <section aria-labelledby="waiting-h" class="stack visit-waiting">
      <h3 id="waiting-h">Waiting room</h3>
      <ul aria-label="Waiting">
        {call.waiting.map((w) => (
          <li key={w.id}>
            {w.name} is waiting.{' '}
            <button type="button" disabled={!call.joined()} onClick={() => call.admit(w.id)}>
              Admit {w.name}
            </button>
          </li>
        ))}
      </ul>
      {call.lobbyTexts.length > 0 && (
        <ul aria-label="Messages from the waiting room">
          {call.lobbyTexts.map((m, i) => (
            <li key={i}>
              <time dateTime={m.sentAt}>{new Date(m.sentAt).toLocaleTimeString()}</time> {m.text}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The doctor's switch for the patient's screen sharing in this visit. */
export function AllowPatientShare({ call }: { call: CallApi }) {
  if (call.state !== 'connected') return null;
  return (
    <div class="actions">
      <button
        type="button"
        class="secondary"
        aria-pressed={call.patientMayShare}
        onClick={() => call.allowPatientShare(!call.patientMayShare)}
      >
        Let the patient share their screen
      </button>
    </div>
  );
}
