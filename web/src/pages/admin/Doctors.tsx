import { useState } from 'preact/hooks';
import { api, type Schemas } from '../../api/client';
import { Field, formValues, ListEnd, Loading, Page, ProblemBanner, useAction, When } from '../../components/ui';
import { ConsentAdmin } from '../../components/ConsentAdmin';
import { useList } from '../../query';
import { t } from '../../i18n';

type Status = 'PENDING' | 'VERIFIED' | 'REJECTED';
const STATUS: Record<Status, string> = {
  PENDING: 'adminDoctors.PENDING',
  VERIFIED: 'adminDoctors.VERIFIED',
  REJECTED: 'adminDoctors.REJECTED',
};

export default function Doctors() {
  const [status, setStatus] = useState<Status>('PENDING');
  const list = useList('/api/v1/admin/doctors', { params: { query: { verificationStatus: status, limit: 100 } } });
  return (
    <Page title={t('adminDoctors.title')}>
      <div class="actions" role="group" aria-label={t('adminDoctors.status')}>
        {(['PENDING', 'VERIFIED', 'REJECTED'] as Status[]).map((s) => (
          <button key={s} type="button" class={s === status ? '' : 'secondary'} aria-pressed={s === status} onClick={() => setStatus(s)}>
            {t(STATUS[s])}
          </button>
        ))}
      </div>
      <Loading loaded={list}>
        {() =>
          list.items.length === 0 ? (
            <p>{t('adminDoctors.none')}</p>
          ) : (
            <ul class="stack">
              {list.items.map((d) => (
                <DoctorCard key={d.id} d={d} onChange={list.reload} />
              ))}
            </ul>
          )
        }
      </Loading>
      <ListEnd list={list} />
      <ConsentAdmin />
    </Page>
  );
}

function DoctorCard({ d, onChange }: { d: Schemas['DoctorPrivate']; onChange: () => void }) {
  const act = useAction();
  const decide = (status: 'VERIFIED' | 'REJECTED') => async (e: Event) => {
    const form = (e.target as HTMLElement).closest('form')!;
    const note = (new FormData(form).get('note') as string) || undefined;
    if (
      (
        await act.run(() =>
          api.POST('/api/v1/admin/doctors/{doctorId}/verification', {
            params: { path: { doctorId: d.id } },
            body: { status, ...(note ? { note } : {}) },
          }),
        )
      ).ok
    )
      onChange();
  };
  const name = t('mail.doctorName', { name: `${d.firstname} ${d.lastname}` });
  return (
    <li class="card">
      <h2>{name}</h2>
      <p>
        {d.specialization} · {t('adminDoctors.license')} <strong translate={false}>{d.licenseNumber}</strong> ·{' '}
        <span translate={false}>{d.user.email}</span> · {t('adminDoctors.registered')} <When iso={d.user.createdAt} />
      </p>
      <p>{d.bio}</p>
      {d.verificationNote && <p>{t('doctor.rejected.note', { note: d.verificationNote })}</p>}
      <ProblemBanner problem={act.problem} />
      <form class="stack" aria-label={t('adminDoctors.decision', { name })} onSubmit={(e) => formValues(e)}>
        <Field label={t('adminDoctors.note', { name })} name="note" problem={act.problem} />
        <div class="actions">
          {d.verificationStatus !== 'VERIFIED' && (
            <button type="button" disabled={act.busy} onClick={decide('VERIFIED')}>
              {t('adminDoctors.verify', { name })}
            </button>
          )}
          {d.verificationStatus !== 'REJECTED' && (
            <button type="button" class="danger" disabled={act.busy} onClick={decide('REJECTED')}>
              {t('adminDoctors.reject', { name })}
            </button>
          )}
        </div>
      </form>
    </li>
  );
}
