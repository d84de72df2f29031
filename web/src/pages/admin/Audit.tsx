import { useLocation } from 'preact-iso';
import { Field, formValues, ListEnd, Loading, Page, When } from '../../components/ui';
import { useList } from '../../query';

export default function Audit() {
  const { query, route } = useLocation();
  const { actorId = '', patientId = '', action = '', from = '', to = '' } = query;
  const filters = {
    ...(actorId ? { actorId } : {}),
    ...(patientId ? { patientId } : {}),
    ...(action ? { action } : {}),
    ...(from ? { from: new Date(from).toISOString() } : {}),
    ...(to ? { to: new Date(to).toISOString() } : {}),
  };
  const list = useList('/api/v1/admin/audit-events', { params: { query: { limit: 100, ...filters } } });
  return (
    <Page title="Audit trail">
      <form
        class="actions"
        role="search"
        aria-label="Filter audit events"
        onSubmit={(e) => route(`/admin/audit?${new URLSearchParams(formValues(e)).toString()}`)}
      >
        <Field label="Actor id" name="actorId" value={actorId} />
        <Field label="Patient id" name="patientId" value={patientId} />
        <Field label="Action" name="action" value={action} hint="e.g. auth.login" />
        <Field label="From" name="from" type="datetime-local" value={from} />
        <Field label="To" name="to" type="datetime-local" value={to} />
        <button type="submit">Filter</button>
      </form>
      <Loading loaded={list}>
        {() =>
          list.items.length === 0 ? (
            <p>No events match.</p>
          ) : (
            <div class="table-wrap">
              <table>
                <caption class="visually-hidden">Audit events</caption>
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Actor</th>
                    <th scope="col">Action</th>
                    <th scope="col">Resource</th>
                    <th scope="col">Patient</th>
                    <th scope="col">Outcome</th>
                    <th scope="col">Address</th>
                  </tr>
                </thead>
                <tbody>
                  {list.items.map((e) => (
                    <tr key={e.id}>
                      <td>
                        <When iso={e.at} />
                      </td>
                      <td>
                        {e.actorId ? (
                          <a href={`/admin/audit?actorId=${e.actorId}`}>
                            {e.actorRole ?? ''} {e.actorId.slice(0, 8)}
                          </a>
                        ) : (
                          'anonymous'
                        )}
                      </td>
                      <td>{e.action}</td>
                      <td>
                        {e.resourceType} {e.resourceId?.slice(0, 8)}
                      </td>
                      <td>{e.patientId ? <a href={`/admin/audit?patientId=${e.patientId}`}>{e.patientId.slice(0, 8)}</a> : ''}</td>
                      <td>{e.outcome}</td>
                      <td>{e.ip}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loading>
      <ListEnd list={list} />
    </Page>
  );
}
