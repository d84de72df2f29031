import { useLocation } from 'preact-iso';
import { Field, formValues, ListEnd, Loading, Page, When } from '../../components/ui';
import { useList } from '../../query';
import { t } from '../../i18n';

export default function Articles() {
  const { query, route } = useLocation();
  const q = query.q ?? '';
  const tag = query.tag ?? '';
  const list = useList('/api/v1/posts', { params: { query: { ...(q ? { q } : {}), ...(tag ? { tag } : {}), limit: 30 } } });
  return (
    <Page title={t('articles.title')}>
      <form class="actions" role="search" onSubmit={(e) => route(`/articles?${new URLSearchParams(formValues(e)).toString()}`)}>
        <Field label={t('articles.q')} name="q" value={q} />
        <button type="submit">{t('adminUsers.search')}</button>
      </form>
      {tag && (
        <p>
          {t('articles.tagged')} <span class="badge">{tag}</span> · <a href="/articles">{t('articles.all')}</a>
        </p>
      )}
      <Loading loaded={list}>
        {() =>
          list.items.length === 0 ? (
            <p>{t('articles.none')}</p>
          ) : (
            <ul class="grid" aria-label={t('nav.articles')}>
              {list.items.map((p) => (
                <li class="card" key={p.id}>
                  <h2>
                    <a href={`/articles/${p.id}`}>{p.title}</a>
                  </h2>
                  <p class="muted">
                    {t('mail.doctorName', { name: `${p.author.firstname} ${p.author.lastname}` })} · <When iso={p.publishedAt} />
                  </p>
                  <p>
                    {p.tags.map((tag) => (
                      <a class="badge" key={tag} href={`/articles?tag=${tag}`} translate={false}>
                        {tag}
                      </a>
                    ))}
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
