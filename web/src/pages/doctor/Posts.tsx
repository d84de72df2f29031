import { api } from '../../api/client';
import { Loading, Page, useLoad, When } from '../../components/ui';

export default function Posts() {
  const list = useLoad(() => api.GET('/api/v1/doctors/me/posts', { params: { query: { limit: 100 } } }), []);
  return (
    <Page title="Your articles">
      <p>
        <a class="button" href="/doctor/posts/new">
          Write an article
        </a>
      </p>
      <Loading loaded={list}>
        {() =>
          list.data!.items.length === 0 ? (
            <p>No articles yet.</p>
          ) : (
            <ul class="stack">
              {list.data!.items.map((p) => (
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
    </Page>
  );
}
