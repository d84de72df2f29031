// A visit guest's page (/visit/guest#<token>, issue 30): the family member, caregiver or interpreter the patient
// (or the doctor, with the patient's agreement) invited by a single-use link. The token travels in the URL's
// fragment, which browsers never send to a server or in a Referer. The guest gives a name, redeems the token
// once for a room-only pass (kept in this tab's sessionStorage so a reload does not lose the visit, and the
// token leaves the address bar), waits in the lobby until the doctor admits them, then joins the call. No
// account, no session, nothing of the patient's record: the pass opens this visit's room and nothing else.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api/client';
import { formatDateTime, Notice, Page, ProblemBanner, useAction } from '../../components/ui';
import { t } from '../../i18n';
import { guestChannel, type GuestChannel } from '../../guestSocket';
import { CallView } from '../shared/visit/CallView';
import { PatientLobby } from '../shared/visit/Lobby';
import { participantName, useCall, type CallSetup } from '../shared/visit/useCall';

const redeem = (token: string, displayName: string) => api.POST('/api/v1/visit-guests/redeem', { body: { token, displayName } });
type Pass = NonNullable<Awaited<ReturnType<typeof redeem>>['data']>;

const STORE = 'telecare.visitGuest';
/** The redeemed pass of this tab, while it holds (a closed visit's pass is of no use). */
function storedPass(): Pass | null {
  try {
    const pass = JSON.parse(sessionStorage.getItem(STORE) ?? 'null') as Pass | null;
    return pass && Date.parse(pass.expiresAt) > Date.now() ? pass : null;
  } catch {
    return null;
  }
}
const tokenFromUrl = () => {
  const token = location.hash.replace(/^#/, '');
  return /^[A-Za-z0-9_-]{20,200}$/.test(token) ? token : null;
};

/** What went wrong with a link, in the guest's words (the API's codes: docs/api.md "Guests"). */
const REDEEM_ERRORS: Record<string, string> = {
  NOT_FOUND: 'guest.error.unknown',
  INVITE_GONE: 'guest.error.gone',
  INVITE_USED: 'guest.error.used',
  VISIT_NOT_OPEN: 'guest.error.notOpen',
  RATE_LIMITED: 'guest.error.busy',
};

export default function GuestVisitPage() {
  const [token, setToken] = useState(tokenFromUrl);
  const [pass, setPass] = useState<Pass | null>(() => (token ? null : storedPass()));
  // Another link opened in this tab changes only the fragment: no page load, so the new token is read here.
  useEffect(() => {
    const changed = () => setToken(tokenFromUrl());
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return (
    <Page title={t('guest.title')}>
      {pass ? (
        <GuestCall pass={pass} />
      ) : token ? (
        <RedeemForm
          key={token}
          token={token}
          onPass={(p) => {
            sessionStorage.setItem(STORE, JSON.stringify(p));
            // The token is spent: it leaves the address bar and the history.
            history.replaceState(null, '', location.pathname);
            setPass(p);
          }}
        />
      ) : (
        <Notice kind="warning">{t('guest.noLink')}</Notice>
      )}
    </Page>
  );
}

function RedeemForm({ token, onPass }: { token: string; onPass: (p: Pass) => void }) {
  const [name, setName] = useState('');
  const action = useAction();
  const known = action.problem && REDEEM_ERRORS[action.problem.code];
  const submit = async (e: Event) => {
    e.preventDefault();
    const displayName = name.replace(/\s+/g, ' ').trim();
    if (!displayName) return;
    const out = await action.run(() => redeem(token, displayName));
    if (out.ok && out.data) onPass(out.data);
  };
  return (
    <form class="stack narrow" onSubmit={submit} aria-describedby="guest-intro">
      <p id="guest-intro">{t('guest.intro')}</p>
      {known ? <Notice kind="warning">{t(known)}</Notice> : <ProblemBanner problem={action.problem} />}
      <label for="guest-name">{t('guest.name')}</label>
      <input
        id="guest-name"
        required
        maxLength={80}
        autocomplete="name"
        value={name}
        onInput={(e) => setName((e.target as HTMLInputElement).value)}
      />
      <p class="muted">{t('guest.nameHint')}</p>
      <button type="submit" disabled={action.busy || !name.trim()}>
        {t('guest.enter')}
      </button>
    </form>
  );
}

function GuestCall({ pass }: { pass: Pass }) {
  const [channel, setChannel] = useState<GuestChannel | null>(null);
  useEffect(() => {
    const c = guestChannel(pass.guestToken);
    setChannel(c);
    return () => c.close();
  }, [pass.guestToken]);
  if (!channel) return <p aria-busy="true">{t('shell.loading')}</p>;
  const setup: CallSetup = {
    appointmentId: pass.guest.appointmentId,
    me: { id: pass.guest.id, role: 'GUEST' },
    opensAt: pass.opensAt,
    closesAt: pass.closesAt,
    admitted: false,
    patientMayShareScreen: false,
    iceServers: pass.iceServers as RTCIceServer[],
    iceTransportPolicy: pass.iceTransportPolicy,
    // A guest cannot read the visit over HTTP: the relay credentials of the pass last until the visit closes.
    refreshIce: async () => null,
    channel,
  };
  return <GuestRoom pass={pass} setup={setup} />;
}

function GuestRoom({ pass, setup }: { pass: Pass; setup: CallSetup }) {
  const call = useCall(setup);
  const doctorName = participantName({ id: '', role: 'DOCTOR', firstname: pass.doctor.firstname, lastname: pass.doctor.lastname });
  return (
    <section class="visit guest-visit" aria-labelledby="guest-call-h">
      <div class="stack">
        <h2 id="guest-call-h">{t('visit.with', { name: doctorName })}</h2>
        <p class="muted">
          {t('guest.youAre', { name: pass.guest.displayName })}{' '}
          {t('visit.joinable', { from: formatDateTime(pass.opensAt), until: formatDateTime(pass.closesAt) })}
        </p>
        {call.state === 'lobby' && <PatientLobby call={call} doctorName={doctorName} />}
        {call.state === 'revoked' && <Notice kind="warning">{t('guest.revoked')}</Notice>}
        <CallView call={call} peerName={doctorName} />
      </div>
    </section>
  );
}
