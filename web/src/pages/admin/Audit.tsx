import { useLocation } from 'preact-iso';
import { Field, formValues, ListEnd, Loading, Page, When } from '../../components/ui';
import { useList } from '../../query';
import { t } from '../../i18n';

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
    <Page title={t('nav.auditTrail')}>
      <form
        class="actions"
        role="search"
        aria-label={t('audit.filter')}
        onSubmit={(e) => route(`/admin/audit?${new URLSearchParams(formValues(e)).toString()}`)}
      >
        <Field label={t('audit.actorId')} name="actorId" value={actorId} />
        <Field label={t('audit.patientId')} name="patientId" value={patientId} />
        <Field label={t('audit.action')} name="action" value={action} hint={t('audit.actionHint')} />
        <Field label={t('audit.from')} name="from" type="datetime-local" value={from} />
        <Field label={t('audit.to')} name="to" type="datetime-local" value={to} />
        <button type="submit">{t('audit.submit')}</button>
      </form>
      <Loading loaded={list}>
        {() =>
          list.items.length === 0 ? (
            <p>{t('audit.none')}</p>
          ) : (
            <div class="table-wrap">
              <table>
                <caption class="visually-hidden">{t('audit.caption')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('audit.col.when')}</th>
                    <th scope="col">{t('audit.col.actor')}</th>
                    <th scope="col">{t('audit.action')}</th>
                    <th scope="col">{t('audit.col.resource')}</th>
                    <th scope="col">{t('audit.col.patient')}</th>
                    <th scope="col">{t('audit.col.outcome')}</th>
                    <th scope="col">{t('audit.col.address')}</th>
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
                          <a href={`/admin/audit?actorId=${e.actorId}`} translate={false}>
                            {e.actorRole ?? ''} {e.actorId.slice(0, 8)}
                          </a>
                        ) : (
                          t('audit.anonymous')
                        )}
                      </td>
                      <td translate={false}>{e.action}</td>
                      <td translate={false}>
                        {e.resourceType} {e.resourceId?.slice(0, 8)}
                      </td>
                      <td>
                        {e.patientId ? (
                          <a href={`/admin/audit?patientId=${e.patientId}`} translate={false}>
                            {e.patientId.slice(0, 8)}
                          </a>
                        ) : (
                          ''
                        )}
                      </td>
                      <td translate={false}>{e.outcome}</td>
                      <td translate={false}>{e.ip}</td>
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
