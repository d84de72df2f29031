// The patient's access log in plain words ("Dr. Hanna Hoffmann read your prescriptions"), newest first, page
// after page by the API's keyset cursor until its end; the patient's own actions can be hidden.
import { useState } from 'preact/hooks';
import { useList } from '../../query';
import type { paths } from '../../api/schema';
import { Page, ProblemBanner, When } from '../../components/ui';
import { useSession } from '../../app';

type Entry = paths['/api/v1/patients/me/access-log']['get']['responses'][200]['content']['application/json']['items'][number];

/** What was done, as a sentence's verb and object; unknown codes fall back to the code itself. */
const WHAT: Record<string, string> = {
  'patient.read': 'read your record',
  'patient.update': 'changed your record',
  'patient.list': 'listed you among their patients',
  'patient.everything.read': 'read your whole record',
  'appointment.create': 'booked an appointment',
  'appointment.read': 'read an appointment',
  'appointment.list': 'listed your appointments',
  'appointment.update': 'changed an appointment',
  'prescription.create': 'issued a prescription',
  'prescription.read': 'read a prescription',
  'prescription.list': 'read your prescriptions',
  'prescription.pdf.read': 'downloaded a prescription',
  'prescription.revoke': 'revoked a prescription',
  'prescription.verify': 'checked a prescription by its verification code (e.g. a pharmacy)',
  'message.list': 'read your messages',
  'message.mark_read': 'marked messages read',
  'conversation.list': 'listed your conversations',
  'attachment.create': 'uploaded an attachment',
  'attachment.read': 'opened an attachment',
  'visit.read': 'opened a video visit',
  'visit.join': 'joined a video visit',
  'visit.leave': 'left a video visit',
  'visit.admit': 'admitted you from the waiting room',
  'visit.guest.invite': 'invited a guest to your video visit',
  'visit.guest.list': 'looked at the guests invited to your video visit',
  'visit.guest.revoke': 'revoked a guest’s invitation to your video visit',
  'visit.guest.redeem': 'accepted the invitation to your video visit',
  'visit.guest.admit': 'admitted a guest to your video visit',
  'calendar_feed.read': 'read the calendar feed',
  'export.read': 'exported your data',
  'access_log.list': 'read this access log',
  'waitlist.create': 'joined a waitlist',
  'waitlist.list': 'listed waitlist entries',
  'waitlist.delete': 'left a waitlist',
  'allergy.list': 'read your allergies',
  'allergy.read': 'read an allergy',
  'allergy.create': 'recorded an allergy',
  'allergy.update': 'changed an allergy',
  'medication.list': 'read your medications',
  'medication.read': 'read a medication',
  'medication.create': 'recorded a medication',
  'medication.update': 'changed a medication',
  'problem.list': 'read your problem list',
  'problem.read': 'read a problem',
  'problem.create': 'recorded a problem',
  'problem.update': 'changed a problem',
  'note.list': 'read your visit notes',
  'note.read': 'read a visit note',
  'note.update': 'wrote a visit note',
  'note.sign': 'signed a visit note',
  'note.addendum.create': 'added to a visit note',
  'note.todo.list': 'listed visits still to document',
  'prescription.allergy_override': 'overrode an allergy warning',
};

const GUEST_ROLES: Record<string, string> = {
  FAMILY: 'family member',
  INTERPRETER: 'interpreter',
  CAREGIVER: 'caregiver',
  OTHER: 'other guest',
};

function who(e: Entry, me: string | undefined): string {
  if (!e.actor) return 'Someone with a mailed link';
  if (e.actor.id && e.actor.id === me) return 'You';
  const name = `${e.actor.firstname ?? ''} ${e.actor.lastname ?? ''}`.trim();
  if (e.actor.role === 'DOCTOR') return `Dr. ${name}`;
  if (e.actor.role === 'ADMIN') return `${name} (administrator)`;
  if (e.actor.role === 'SYSTEM') return 'The system';
  // A visit guest (no account): named by the role they were invited in, e.g. GUEST_INTERPRETER.
  const guest = /^GUEST_([A-Z]+)$/.exec(e.actor.role ?? '');
  if (guest) return `Your guest (${GUEST_ROLES[guest[1]] ?? 'guest'})`;
  return name || 'Someone';
}

export function sentence(e: Entry, me: string | undefined): string {
  const what = WHAT[e.action] ?? `${e.action} (${e.resourceType})`;
  const failed = e.outcome === 'SUCCESS' ? '' : ' (refused)';
  return `${who(e, me)} ${what}${failed}`;
}

export default function AccessLog() {
  const s = useSession();
  const me = s.me?.user.id;
  const log = useList('/api/v1/patients/me/access-log', { params: { query: { limit: 50 } } });
  const items = log.items;
  const [hideMine, setHideMine] = useState(true);

  const shown = hideMine ? items.filter((e) => !(e.actor?.id && e.actor.id === me)) : items;
  return (
    <Page title="Who accessed my record">
      <p>Every time someone read or changed your records, newest first.</p>
      <div class="field">
        <label>
          <input type="checkbox" checked={hideMine} onChange={(e) => setHideMine((e.currentTarget as HTMLInputElement).checked)} /> Hide my
          own actions
        </label>
      </div>
      <ProblemBanner problem={log.problem} />
      <ul class="stack plain" aria-label="Access log">
        {shown.map((e) => (
          <li key={e.id}>
            <When iso={e.at} />: {sentence(e, me)}
          </li>
        ))}
      </ul>
      {log.loading && <p aria-busy="true">Loading…</p>}
      <p role="status">
        {!log.loading && !log.hasMore ? `All ${items.length} entries shown${hideMine ? ' (your own actions hidden)' : ''}.` : ''}
      </p>
      {log.hasMore && (
        <button type="button" disabled={log.busy} onClick={log.loadMore}>
          Load more
        </button>
      )}
    </Page>
  );
}
