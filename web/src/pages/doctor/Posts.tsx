import { ListEnd, Loading, Page, When } from '../../components/ui';
import { useList } from '../../query';
import { t } from '../../i18n';

export default function Posts() {
  const list = useList('/api/v1/doctors/me/posts', { params: { query: { limit: 100 } } });
  return (
    <Page title={t('doctorPosts.title')}>
      <p>
        <a class="button" href="/doctor/posts/new">
          {t('doctorPosts.write')}
        </a>
      </p>
      <Loading loaded={list}>
        {() =>
          list.items.length === 0 ? (
            <p>{t('doctorProfile.noArticles')}</p>
          ) : (
            <ul class="stack">
              {list.items.map((p) => (
                <li class="card" key={p.id}>
                  <h2>
                    <a href={`/doctor/posts/${p.id}`}>{p.title}</a>{' '}
                    <span class="badge">{p.status === 'DRAFT' ? t('note.draft') : t('doctorPosts.published')}</span>
                  </h2>
                  <p class="muted">
                    {p.publishedAt ? (
                      <>
                        {t('doctorPosts.publishedAt')} <When iso={p.publishedAt} />
                      </>
                    ) : (
                      <>
                        {t('doctorPosts.edited')} <When iso={p.updatedAt} />
                      </>
                    )}
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
