// The waiting room's views: the patient's lobby (the doctor's status, a short text to the doctor) and the
// doctor's list of who waits, with their texts and an "Admit" button each.
import { useState } from 'preact/hooks';
import type { CallApi } from './useCall';
import { t } from '../../../i18n';
import { formatDateTime } from '../../../components/ui';

/** The server's bound (visit.lobby-message): 280 characters after trimming, no control characters. */
const LOBBY_TEXT_MAX = 280;

export function PatientLobby({ call, doctorName }: { call: CallApi; doctorName: string }) {
  const [text, setText] = useState('');
  const [sent, setSent] = useState<string[]>([]);
  const l = call.lobby;
  const status = !l
    ? t('lobby.checking')
    : l.doctor === 'here'
      ? t('lobby.doctorHere', { name: doctorName })
      : l.doctor === 'busy'
        ? t('lobby.doctorBusy', { name: doctorName })
        : t('lobby.doctorAway', { name: doctorName });
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
      <h3 id="lobby-h">{t('lobby.title')}</h3>
      <p class="doctor-status" data-doctor={l?.doctor ?? 'unknown'} aria-live="polite">
        {status}
        {l?.lateMinutes ? ` ${t('lobby.late', { n: l.lateMinutes })}` : ''}
      </p>
      <form onSubmit={send} class="stack">
        <label for="lobby-text">{t('lobby.messageTo', { name: doctorName })}</label>
        <input id="lobby-text" maxLength={LOBBY_TEXT_MAX} value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
        <button type="submit" class="secondary" disabled={!text.trim()}>
          {t('lobby.send')}
        </button>
      </form>
      {sent.length > 0 && (
        <ul aria-label={t('lobby.yourMessages')} class="lobby-sent">
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
      <h3 id="waiting-h">{t('lobby.title')}</h3>
      <ul aria-label={t('lobby.waiting')}>
        {call.waiting.map((w) => (
          <li key={w.id}>
            {t('lobby.isWaiting', { name: w.name })}{' '}
            <button type="button" disabled={!call.joined()} onClick={() => call.admit(w.id)}>
              {t('lobby.admit', { name: w.name })}
            </button>
          </li>
        ))}
      </ul>
      {call.lobbyTexts.length > 0 && (
        <ul aria-label={t('lobby.texts')}>
          {call.lobbyTexts.map((m, i) => (
            <li key={i}>
              <time dateTime={m.sentAt}>{formatDateTime(m.sentAt, undefined, { timeStyle: 'short' }, false)}</time> {m.text}
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
        {t('lobby.allowShare')}
      </button>
    </div>
  );
}
