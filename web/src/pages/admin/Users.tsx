import { useLocation } from 'preact-iso';
import { api, type User } from '../../api/client';
import { Field, formValues, ListEnd, Loading, Page, ProblemBanner, useAction, When } from '../../components/ui';
import { useList } from '../../query';

const roles: Array<[string, string]> = [
  ['', 'Any role'],
  ['PATIENT', 'Patient'],
  ['DOCTOR', 'Doctor'],
  ['ADMIN', 'Admin'],
];
const statuses: Array<[string, string]> = [
  ['', 'Any status'],
  ['ACTIVE', 'Active'],
  ['SUSPENDED', 'Suspended'],
  ['CLOSED', 'Closed'],
];

export default function Users() {
  const { query, route } = useLocation();
  const { q = '', role = '', accountStatus = '' } = query;
  const list = useList('/api/v1/admin/users', {
    params: {
      query: {
        limit: 100,
        ...(q ? { q } : {}),
        ...(role ? { role: role as 'PATIENT' } : {}),
        ...(accountStatus ? { accountStatus: accountStatus as 'ACTIVE' } : {}),
      },
    },
  });
  return (
    <Page title="Users">
      <form class="actions" role="search" onSubmit={(e) => route(`/admin/users?${new URLSearchParams(formValues(e)).toString()}`)}>
        <Field label="Name, username or email" name="q" value={q} />
        <Field label="Role" name="role" options={roles} value={role} />
        <Field label="Status" name="accountStatus" options={statuses} value={accountStatus} />
        <button type="submit">Search</button>
      </form>
      <Loading loaded={list}>
        {() =>
          list.items.length === 0 ? (
            <p>No users match.</p>
          ) : (
            <div class="table-wrap">
              <table>
                <caption class="visually-hidden">Users</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Username</th>
                    <th scope="col">Email</th>
                    <th scope="col">Role</th>
                    <th scope="col">Since</th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  {list.items.map((u) => (
                    <UserRow key={u.id} u={u} onChange={list.reload} />
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

function UserRow({ u, onChange }: { u: User; onChange: () => void }) {
  const act = useAction();
  const next = u.accountStatus === 'ACTIVE' ? 'SUSPENDED' : 'ACTIVE';
  return (
    <tr>
      <td>
        {u.firstname} {u.lastname}
      </td>
      <td>{u.username}</td>
      <td>{u.email}</td>
      <td>{u.role.toLowerCase()}</td>
      <td>
        <When iso={u.createdAt} />
      </td>
      <td>
        <span class="badge">{u.accountStatus.toLowerCase()}</span>{' '}
        {u.role !== 'ADMIN' && u.accountStatus !== 'CLOSED' && (
          <button
            type="button"
            class={next === 'SUSPENDED' ? 'danger' : ''}
            disabled={act.busy}
            onClick={async () => {
              if (
                (
                  await act.run(() =>
                    api.PATCH('/api/v1/admin/users/{userId}', { params: { path: { userId: u.id } }, body: { accountStatus: next } }),
                  )
                ).ok
              )
                onChange();
            }}
          >
            {next === 'SUSPENDED' ? `Suspend ${u.username}` : `Reactivate ${u.username}`}
          </button>
        )}
        <ProblemBanner problem={act.problem} />
      </td>
    </tr>
  );
}
