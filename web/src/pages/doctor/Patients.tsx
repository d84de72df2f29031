import { ListEnd, Loading, Page } from '../../components/ui';
import { useList } from '../../query';
import { t } from '../../i18n';

const GENDER: Record<string, string> = { female: 'gender.female', male: 'gender.male', other: 'gender.other', unknown: 'gender.unknown' };

export default function Patients() {
  const list = useList('/api/v1/doctors/me/patients', { params: { query: { limit: 100 } } });
  return (
    <Page title={t('doctorPatients.title')}>
      <Loading loaded={list}>
        {() =>
          list.items.length === 0 ? (
            <p>{t('doctorPatients.none')}</p>
          ) : (
            <ul class="grid">
              {list.items.map((p) => (
                <li class="card" key={p.id}>
                  <h2>
                    <a href={`/doctor/patients/${p.id}`}>
                      {p.firstname} {p.lastname}
                    </a>
                  </h2>
                  <p>
                    {t('doctorPatients.age', { age: p.age })} · {GENDER[p.gender] ? t(GENDER[p.gender]) : p.gender}
                  </p>
                  <p>{t('doctorPatients.counts', { late: p.lateCancellations, noShows: p.noShows })}</p>
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
