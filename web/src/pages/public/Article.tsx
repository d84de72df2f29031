import { useRoute } from 'preact-iso';
import { Loading, Page, When } from '../../components/ui';
import Markdown from '../../components/Markdown';
import { useGet } from '../../query';
import { t } from '../../i18n';

export default function Article() {
  const { params } = useRoute();
  const post = useGet('/api/v1/posts/{id}', { params: { path: { id: params.id } } });
  const p = post.data;
  return (
    <Page title={p?.title ?? t('article.title')}>
      <Loading loaded={post}>
        {() => (
          <article>
            <p class="muted">
              {t('article.by')}{' '}
              <a href={`/doctors/${p!.author.id}`}>{t('mail.doctorName', { name: `${p!.author.firstname} ${p!.author.lastname}` })}</a> (
              {p!.author.specialization}) · <When iso={p!.publishedAt} />
            </p>
            <Markdown source={p!.body} />
          </article>
        )}
      </Loading>
    </Page>
  );
}
