import { ListEnd, Loading, Page } from '../../components/ui';
import { useList } from '../../query';

export default function Patients() {
  const list = useList('/api/v1/doctors/me/patients', { params: { query: { limit: 100 } } });
  return (
    <Page title="Patients in your care">
      <Loading loaded={list}>
        {() =>
          list.items.length === 0 ? (
            <p>No patients yet: patients appear here once they book with you.</p>
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
                    {p.age} years · {p.gender}
                  </p>
                  <p>
                    Late cancellations: {p.lateCancellations} · No-shows: {p.noShows}
                  </p>
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
