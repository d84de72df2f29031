import { useLocation } from 'preact-iso';
import { Field, formValues, ListEnd, Loading, Page } from '../../components/ui';
import { useList } from '../../query';
import { t } from '../../i18n';

export default function Doctors() {
  const { query, route } = useLocation();
  const q = query.q ?? '';
  const specialization = query.specialization ?? '';
  const list = useList('/api/v1/doctors', {
    params: { query: { ...(q ? { q } : {}), ...(specialization ? { specialization } : {}), limit: 50 } },
  });
  return (
    <Page title={t('nav.findDoctor')}>
      <form
        class="actions"
        role="search"
        onSubmit={(e) => {
          const v = formValues(e);
          route(`/doctors?${new URLSearchParams(v).toString()}`);
        }}
      >
        <Field label={t('doctors.q')} name="q" value={q} />
        <Field label={t('doctorSettings.specialization')} name="specialization" value={specialization} />
        <button type="submit">{t('adminUsers.search')}</button>
      </form>
      <Loading loaded={list}>
        {() =>
          list.items.length === 0 ? (
            <p>{t('doctors.none')}</p>
          ) : (
            <ul class="grid" aria-label={t('nav.doctors')}>
              {list.items.map((d) => (
                <li class="card" key={d.id}>
                  <h2>
                    <a href={`/doctors/${d.id}`}>{t('mail.doctorName', { name: `${d.firstname} ${d.lastname}` })}</a>
                  </h2>
                  <p>
                    <span class="badge">{d.specialization}</span>
                  </p>
                  <p>{d.bio}</p>
                </li>
              ))}
            </ul>
          )
        }
      </Loading>
      <ListEnd list={list} />
    </Page>
  );
}
