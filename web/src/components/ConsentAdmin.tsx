// Admins publish the telehealth consent (issue 27). Until a first version is published no visit is gated on
// consent or location, and this says so.
import { useState } from 'preact/hooks';
import { api } from '../api/client';
import Markdown from './Markdown';
import { Notice, ProblemBanner, useAction, When } from './ui';
import { useGet } from '../query';
import { t } from '../i18n';

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
      <h2 id="consent-admin-h">{t('consentAdmin.title')}</h2>
      {none ? (
        <Notice kind="warning">{t('consentAdmin.none')}</Notice>
      ) : current.problem ? (
        <ProblemBanner problem={current.problem} />
      ) : current.data ? (
        <details>
          <summary>
            {t('consentAdmin.version', { version: current.data.version })} <When iso={current.data.publishedAt} />
          </summary>
          <Markdown source={current.data.text} />
        </details>
      ) : null}
      <form onSubmit={publish}>
        <ProblemBanner problem={action.problem} />
        <div class="field">
          <label for="consent-text">{t('consentAdmin.newVersion')}</label>
          <textarea id="consent-text" rows={6} value={text} onInput={(e) => setText((e.currentTarget as HTMLTextAreaElement).value)} />
        </div>
        <div class="actions">
          <button type="submit" disabled={!text.trim() || action.busy}>
            {t('consentAdmin.publish')}
          </button>
        </div>
        <small>{t('consentAdmin.hint')}</small>
      </form>
    </section>
  );
}
