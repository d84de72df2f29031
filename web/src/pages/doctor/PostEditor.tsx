import { useEffect, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { api } from '../../api/client';
import { Field, Notice, Page, ProblemBanner, useAction } from '../../components/ui';
import Markdown from '../../components/Markdown';
import { t } from '../../i18n';

export default function PostEditor() {
  const { params } = useRoute();
  const { route } = useLocation();
  const isNew = params.id === 'new';
  const [post, setPost] = useState({ title: '', body: '', tags: '', status: 'DRAFT' as 'DRAFT' | 'PUBLISHED' });
  const [preview, setPreview] = useState(false);
  const [saved, setSaved] = useState('');
  const act = useAction();
  useEffect(() => {
    if (isNew) return;
    void act
      .run(() => api.GET('/api/v1/posts/{id}', { params: { path: { id: params.id } } }))
      .then((r) => {
        if (r.data) setPost({ title: r.data.title, body: r.data.body, tags: r.data.tags.join(' '), status: r.data.status });
      });
  }, [params.id]);
  const save = async (status: 'DRAFT' | 'PUBLISHED') => {
    setSaved('');
    const body = { title: post.title, body: post.body, tags: post.tags.split(/[\s,]+/).filter(Boolean), status };
    const r = isNew
      ? await act.run(() => api.POST('/api/v1/posts', { body }))
      : await act.run(() => api.PATCH('/api/v1/posts/{id}', { params: { path: { id: params.id } }, body }));
    if (r.ok && r.data) {
      setPost((p) => ({ ...p, status }));
      setSaved(status === 'PUBLISHED' ? t('postEditor.publishedDone') : t('postEditor.draftDone'));
      if (isNew) route(`/doctor/posts/${(r.data as { id: string }).id}`, true);
    }
  };
  const input = (k: 'title' | 'body' | 'tags') => (e: Event) => setPost((p) => ({ ...p, [k]: (e.target as HTMLInputElement).value }));
  return (
    <Page title={isNew ? t('postEditor.new') : t('postEditor.edit')}>
      {saved && <Notice kind="success">{saved}</Notice>}
      <ProblemBanner problem={act.problem} />
      <p>
        {t('postEditor.status')} <span class="badge">{post.status === 'DRAFT' ? t('note.draft') : t('doctorPosts.published')}</span>
      </p>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void save('DRAFT');
        }}
      >
        <Field label={t('postEditor.titleLabel')} name="title" value={post.title} onInput={input('title')} required problem={act.problem} />
        <Field
          label={t('postEditor.tags')}
          name="tags"
          value={post.tags}
          onInput={input('tags')}
          hint={t('postEditor.tagsHint')}
          problem={act.problem}
        />
        <Field
          label={t('postEditor.body')}
          name="body"
          multiline
          value={post.body}
          onInput={input('body')}
          required
          problem={act.problem}
        />
        <div class="actions">
          <button type="button" class="secondary" aria-pressed={preview} onClick={() => setPreview(!preview)}>
            {preview ? t('postEditor.hidePreview') : t('postEditor.preview')}
          </button>
          <button type="submit" class="secondary" disabled={act.busy}>
            {t('note.saveDraft')}
          </button>
          <button type="button" disabled={act.busy} onClick={() => save('PUBLISHED')}>
            {t('postEditor.publish')}
          </button>
        </div>
      </form>
      {preview && (
        <section aria-labelledby="pv-h">
          <h2 id="pv-h">{t('postEditor.preview')}</h2>
          <h3>{post.title}</h3>
          <Markdown source={post.body} />
        </section>
      )}
    </Page>
  );
}
