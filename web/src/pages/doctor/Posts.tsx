import { ListEnd, Loading, Page, When } from '../../components/ui';
import { useList } from '../../query';

export default function Posts() {
  const list = useList('/api/v1/doctors/me/posts', { params: { query: { limit: 100 } } });
  return (
    <Page title="Your articles">
      <p>
        <a class="button" href="/doctor/posts/new">
          Write an article
        </a>
      </p>
      <Loading loaded={list}>
        {() =>
          list.items.length === 0 ? (
            <p>No articles yet.</p>
          ) : (
            <ul class="stack">
              {list.items.map((p) => (
                <li class="card" key={p.id}>
                  <h2>
                    <a href={`/doctor/posts/${p.id}`}>{p.title}</a>{' '}
                    <span class="badge">{p.status === 'DRAFT' ? 'Draft' : 'Published'}</span>
                  </h2>
                  <p class="muted">
                    {p.publishedAt ? (
                      <>
                        Published <When iso={p.publishedAt} />
                      </>
                    ) : (
                      <>
                        Last edited <When iso={p.updatedAt} />
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
