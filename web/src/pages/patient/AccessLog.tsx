// The patient's access log in plain words ("Dr. Hanna Hoffmann read your prescriptions"), newest first, page
// after page by the API's keyset cursor until its end; the patient's own actions can be hidden.
import { useState } from 'preact/hooks';
import { useList } from '../../query';
import type { paths } from '../../api/schema';
import { Page, ProblemBanner, When } from '../../components/ui';
import { useSession } from '../../app';
import { t } from '../../i18n';

type Entry = paths['/api/v1/patients/me/access-log']['get']['responses'][200]['content']['application/json']['items'][number];

/** What was done, as a sentence with its actor ({who}); unknown codes fall back to the code itself. */
const WHAT: Record<string, string> = {
  'patient.read': 'accessLog.what.patient_read',
  'patient.update': 'accessLog.what.patient_update',
  'patient.list': 'accessLog.what.patient_list',
  'patient.everything.read': 'accessLog.what.patient_everything_read',
  'appointment.create': 'accessLog.what.appointment_create',
  'appointment.read': 'accessLog.what.appointment_read',
  'appointment.list': 'accessLog.what.appointment_list',
  'appointment.update': 'accessLog.what.appointment_update',
  'prescription.create': 'accessLog.what.prescription_create',
  'prescription.read': 'accessLog.what.prescription_read',
  'prescription.list': 'accessLog.what.prescription_list',
  'prescription.pdf.read': 'accessLog.what.prescription_pdf_read',
  'prescription.revoke': 'accessLog.what.prescription_revoke',
  'prescription.verify': 'accessLog.what.prescription_verify',
  'message.list': 'accessLog.what.message_list',
  'message.mark_read': 'accessLog.what.message_mark_read',
  'conversation.list': 'accessLog.what.conversation_list',
  'attachment.create': 'accessLog.what.attachment_create',
  'attachment.read': 'accessLog.what.attachment_read',
  'visit.read': 'accessLog.what.visit_read',
  'visit.join': 'accessLog.what.visit_join',
  'visit.leave': 'accessLog.what.visit_leave',
  'visit.admit': 'accessLog.what.visit_admit',
  'visit.guest.invite': 'accessLog.what.visit_guest_invite',
  'visit.guest.list': 'accessLog.what.visit_guest_list',
  'visit.guest.revoke': 'accessLog.what.visit_guest_revoke',
  'visit.guest.redeem': 'accessLog.what.visit_guest_redeem',
  'visit.guest.admit': 'accessLog.what.visit_guest_admit',
  'calendar_feed.read': 'accessLog.what.calendar_feed_read',
  'export.read': 'accessLog.what.export_read',
  'access_log.list': 'accessLog.what.access_log_list',
  'waitlist.create': 'accessLog.what.waitlist_create',
  'waitlist.list': 'accessLog.what.waitlist_list',
  'waitlist.delete': 'accessLog.what.waitlist_delete',
  'allergy.list': 'accessLog.what.allergy_list',
  'allergy.read': 'accessLog.what.allergy_read',
  'allergy.create': 'accessLog.what.allergy_create',
  'allergy.update': 'accessLog.what.allergy_update',
  'medication.list': 'accessLog.what.medication_list',
  'medication.read': 'accessLog.what.medication_read',
  'medication.create': 'accessLog.what.medication_create',
  'medication.update': 'accessLog.what.medication_update',
  'problem.list': 'accessLog.what.problem_list',
  'problem.read': 'accessLog.what.problem_read',
  'problem.create': 'accessLog.what.problem_create',
  'problem.update': 'accessLog.what.problem_update',
  'note.list': 'accessLog.what.note_list',
  'note.read': 'accessLog.what.note_read',
  'note.update': 'accessLog.what.note_update',
  'note.sign': 'accessLog.what.note_sign',
  'note.addendum.create': 'accessLog.what.note_addendum_create',
  'note.todo.list': 'accessLog.what.note_todo_list',
  'prescription.allergy_override': 'accessLog.what.prescription_allergy_override',
};

/** A visit guest's actor role (no account), by the role they were invited in. */
const GUEST_ROLES: Record<string, string> = {
  GUEST_FAMILY: 'accessLog.guestRole.FAMILY',
  GUEST_INTERPRETER: 'accessLog.guestRole.INTERPRETER',
  GUEST_CAREGIVER: 'accessLog.guestRole.CAREGIVER',
  GUEST_OTHER: 'accessLog.guestRole.OTHER',
};

function who(e: Entry, me: string | undefined): string {
  if (!e.actor) return t('accessLog.who.link');
  if (e.actor.id && e.actor.id === me) return t('accessLog.who.you');
  const name = `${e.actor.firstname ?? ''} ${e.actor.lastname ?? ''}`.trim();
  if (e.actor.role === 'DOCTOR') return t('mail.doctorName', { name });
  if (e.actor.role === 'ADMIN') return t('accessLog.who.admin', { name });
  if (e.actor.role === 'SYSTEM') return t('accessLog.who.system');
  const guest = GUEST_ROLES[e.actor.role ?? ''];
  if (guest) return t('accessLog.who.guest', { role: t(guest) });
  return name || t('accessLog.who.someone');
}

export function sentence(e: Entry, me: string | undefined): string {
  const subject = who(e, me);
  const said = WHAT[e.action]
    ? t(WHAT[e.action], { who: subject })
    : t('accessLog.other', { who: subject, action: e.action, resource: e.resourceType });
  return e.outcome === 'SUCCESS' ? said : t('accessLog.refused', { sentence: said });
}

export default function AccessLog() {
  const s = useSession();
  const me = s.me?.user.id;
  const log = useList('/api/v1/patients/me/access-log', { params: { query: { limit: 50 } } });
  const items = log.items;
  const [hideMine, setHideMine] = useState(true);

  const shown = hideMine ? items.filter((e) => !(e.actor?.id && e.actor.id === me)) : items;
  return (
    <Page title={t('accessLog.title')}>
      <p>{t('accessLog.intro')}</p>
      <div class="field">
        <label>
          <input type="checkbox" checked={hideMine} onChange={(e) => setHideMine((e.currentTarget as HTMLInputElement).checked)} />{' '}
          {t('accessLog.hideMine')}
        </label>
      </div>
      <ProblemBanner problem={log.problem} />
      <ul class="stack plain" aria-label={t('nav.accessLog')}>
        {shown.map((e) => (
          <li key={e.id}>
            <When iso={e.at} />: {sentence(e, me)}
          </li>
        ))}
      </ul>
      {log.loading && <p aria-busy="true">{t('shell.loading')}</p>}
      <p role="status">
        {!log.loading && !log.hasMore ? t(hideMine ? 'accessLog.allShownHidden' : 'accessLog.allShown', { n: items.length }) : ''}
      </p>
      {log.hasMore && (
        <button type="button" disabled={log.busy} onClick={log.loadMore}>
          {t('accessLog.loadMore')}
        </button>
      )}
    </Page>
  );
}
