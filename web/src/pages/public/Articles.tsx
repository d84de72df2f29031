import { useLocation } from 'preact-iso';
import { Field, formValues, ListEnd, Loading, Page, When } from '../../components/ui';
import { useList } from '../../query';

export default function Articles() {
  const { query, route } = useLocation();
  const q = query.q ?? '';
  const tag = query.tag ?? '';
  const list = useList('/api/v1/posts', { params: { query: { ...(q ? { q } : {}), ...(tag ? { tag } : {}), limit: 30 } } });
  return (
    <Page title="Health articles">
      <form class="actions" role="search" onSubmit={(e) => route(`/articles?${new URLSearchParams(formValues(e)).toString()}`)}>
        <Field label="Search articles" name="q" value={q} />
        <button type="submit">Search</button>
      </form>
      {tag && (
        <p>
          Tagged <span class="badge">{tag}</span> · <a href="/articles">all articles</a>
        </p>
      )}
      <Loading loaded={list}>
        {() =>
          list.items.length === 0 ? (
            <p>No articles found.</p>
          ) : (
            <ul class="grid" aria-label="Articles">
              {list.items.map((p) => (
                <li class="card" key={p.id}>
                  <h2>
                    <a href={`/articles/${p.id}`}>{p.title}</a>
                  </h2>
                  <p class="muted">
                    Dr. {p.author.firstname} {p.author.lastname} · <When iso={p.publishedAt} />
                  </p>
                  <p>
                    {p.tags.map((t) => (
                      <a class="badge" key={t} href={`/articles?tag=${t}`}>
                        {t}
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
