import { useLocation } from 'preact-iso';
import { api, type User } from '../../api/client';
import { Field, formValues, ListEnd, Loading, Page, ProblemBanner, useAction, When } from '../../components/ui';
import { useList } from '../../query';
import { t } from '../../i18n';

const roles = (): Array<[string, string]> => [
  ['', t('adminUsers.anyRole')],
  ['PATIENT', t('adminUsers.role.PATIENT')],
  ['DOCTOR', t('adminUsers.role.DOCTOR')],
  ['ADMIN', t('adminUsers.role.ADMIN')],
];
const statuses = (): Array<[string, string]> => [
  ['', t('adminUsers.anyStatus')],
  ['ACTIVE', t('adminUsers.status.ACTIVE')],
  ['SUSPENDED', t('adminUsers.status.SUSPENDED')],
  ['CLOSED', t('adminUsers.status.CLOSED')],
];
const ROLE: Record<string, string> = { PATIENT: 'role.patient', DOCTOR: 'role.doctor', ADMIN: 'role.admin' };
const STATUS: Record<string, string> = {
  ACTIVE: 'adminUsers.state.ACTIVE',
  SUSPENDED: 'adminUsers.state.SUSPENDED',
  CLOSED: 'adminUsers.state.CLOSED',
};

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
    <Page title={t('nav.users')}>
      <form class="actions" role="search" onSubmit={(e) => route(`/admin/users?${new URLSearchParams(formValues(e)).toString()}`)}>
        <Field label={t('adminUsers.q')} name="q" value={q} />
        <Field label={t('adminUsers.roleLabel')} name="role" options={roles()} value={role} />
        <Field label={t('adminUsers.statusLabel')} name="accountStatus" options={statuses()} value={accountStatus} />
        <button type="submit">{t('adminUsers.search')}</button>
      </form>
      <Loading loaded={list}>
        {() =>
          list.items.length === 0 ? (
            <p>{t('adminUsers.none')}</p>
          ) : (
            <div class="table-wrap">
              <table>
                <caption class="visually-hidden">{t('nav.users')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('adminUsers.col.name')}</th>
                    <th scope="col">{t('adminUsers.col.username')}</th>
                    <th scope="col">{t('adminUsers.col.email')}</th>
                    <th scope="col">{t('adminUsers.roleLabel')}</th>
                    <th scope="col">{t('adminUsers.col.since')}</th>
                    <th scope="col">{t('adminUsers.statusLabel')}</th>
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
      <td translate={false}>
        {u.firstname} {u.lastname}
      </td>
      <td translate={false}>{u.username}</td>
      <td translate={false}>{u.email}</td>
      <td>{ROLE[u.role] ? t(ROLE[u.role]) : u.role}</td>
      <td>
        <When iso={u.createdAt} />
      </td>
      <td>
        <span class="badge">{STATUS[u.accountStatus] ? t(STATUS[u.accountStatus]) : u.accountStatus}</span>{' '}
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
            {next === 'SUSPENDED' ? t('adminUsers.suspend', { name: u.username }) : t('adminUsers.reactivate', { name: u.username })}
          </button>
        )}
        <ProblemBanner problem={act.problem} />
      </td>
    </tr>
  );
}
