// Admins publish the telehealth consent (issue 27). Until a first version is published no visit is gated on
// consent or location, and this says so.
import { useState } from 'preact/hooks';
import { api } from '../api/client';
import Markdown from './Markdown';
import { Notice, ProblemBanner, useAction, When } from './ui';
import { useGet } from '../query';

export function ConsentAdmin() {
  const current = useGet('/api/v1/consents/telehealth');
  const [text, setText] = useState('');
  const action = useAction();
  const publish = async (e: Event) => {
    e.preventDefault();
    const r = await action.run(() => api.POST('/api/v1/admin/consents/telehealth', { body: { text } }));
    if (r.ok) {
      setText('');
      current.reload();
    }
  };
  const none = current.problem?.status === 404;
  return (
    <section aria-labelledby="consent-admin-h">
      <h2 id="consent-admin-h">Telehealth consent</h2>
      {none ? (
        <Notice kind="warning">
          No telehealth consent is published: patients join video visits without accepting one or stating where they are.
        </Notice>
      ) : current.problem ? (
        <ProblemBanner problem={current.problem} />
      ) : current.data ? (
        <details>
          <summary>
            Version {current.data.version}, published <When iso={current.data.publishedAt} />
          </summary>
          <Markdown source={current.data.text} />
        </details>
      ) : null}
      <form onSubmit={publish}>
        <ProblemBanner problem={action.problem} />
        <div class="field">
          <label for="consent-text">New version (Markdown)</label>
          <textarea id="consent-text" rows={6} value={text} onInput={(e) => setText((e.currentTarget as HTMLTextAreaElement).value)} />
        </div>
        <div class="actions">
          <button type="submit" disabled={!text.trim() || action.busy}>
            Publish new version
          </button>
        </div>
        <small>Every patient must accept the new version before their next video visit.</small>
      </form>
    </section>
  );
}
