import { api } from '../../api/client';
import { Loading, Page, useLoad } from '../../components/ui';

export default function Patients() {
  const list = useLoad(() => api.GET('/api/v1/doctors/me/patients', { params: { query: { limit: 100 } } }), []);
  return (
    <Page title="Patients in your care">
      <Loading loaded={list}>
        {() =>
          list.data!.items.length === 0 ? (
            <p>No patients yet: patients appear here once they book with you.</p>
          ) : (
            <ul class="grid">
              {list.data!.items.map((p) => (
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
    </Page>
  );
}
