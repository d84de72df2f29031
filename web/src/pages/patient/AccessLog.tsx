import { api } from '../../api/client';
import { Loading, Page, useLoad, When } from '../../components/ui';

export default function AccessLog() {
  const list = useLoad(() => api.GET('/api/v1/patients/me/access-log', { params: { query: { limit: 100 } } }), []);
  return (
    <Page title="Who accessed my record">
      <p>Every time someone read or changed your records, newest first.</p>
      <Loading loaded={list}>
        {() => (
          <div class="table-wrap">
            <table>
              <caption class="visually-hidden">Access log</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">What</th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                {list.data!.items.map((e) => (
                  <tr key={e.id}>
                    <td>
                      <When iso={e.at} />
                    </td>
                    <td>
                      {e.actor
                        ? `${e.actor.firstname ?? ''} ${e.actor.lastname ?? ''} (${String(e.actor.role ?? '').toLowerCase()})`
                        : 'System'}
                    </td>
                    <td>
                      {e.action} <span class="muted">{e.resourceType}</span>
                    </td>
                    <td>{e.outcome}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Loading>
    </Page>
  );
}
