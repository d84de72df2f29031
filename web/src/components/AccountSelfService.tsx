// The account page's self-service (issue 25): a change of address (re-verified by a link to the new one), the
// personal export as a download, and closing the account after its consequences and the record's retention are
// stated. Kept apart from Account.tsx so that screen stays one concern per section.
import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api } from '../api/client';
import { useSession } from '../app';
import { session } from '../session';
import { t } from '../i18n';
import { Field, formatDateTime, formValues, Loading, Notice, ProblemBanner, useAction } from './ui';
import { useGet } from '../query';

export function EmailChange() {
  const s = useSession();
  const change = useAction();
  const [sentTo, setSentTo] = useState<string | null>(null);
  return (
    <section class="card" aria-labelledby="email-h">
      <h2 id="email-h">{t('account.email.title')}</h2>
      <p>{t('account.email.current', { email: s.me!.user.email })}</p>
      {sentTo && <Notice kind="success">{t('account.email.sent', { email: sentTo })}</Notice>}
      <ProblemBanner problem={change.problem} />
      <form
        class="stack"
        onSubmit={async (e) => {
          const v = formValues(e);
          setSentTo(null);
          const newEmail = v.newEmail ?? '';
          const r = await change.run(() => api.POST('/api/v1/me/email', { body: { newEmail, password: v.emailPassword ?? '' } }));
          if (r.ok) {
            setSentTo(newEmail);
            (e.target as HTMLFormElement).reset();
          }
        }}
      >
        <Field label={t('account.email.new')} name="newEmail" type="email" autoComplete="email" required problem={change.problem} />
        <Field
          label={t('account.currentPassword')}
          name="emailPassword"
          type="password"
          autoComplete="current-password"
          required
          problem={change.problem}
        />
        <p class="muted">{t('account.email.hint')}</p>
        <button type="submit" disabled={change.busy}>
          {t('account.email.submit')}
        </button>
      </form>
    </section>
  );
}

/** The export arrives as an attachment; fetched with the access token, then handed to the browser as a file. */
export function ExportDownload() {
  const run = useAction();
  const download = async (format: 'json' | 'fhir') => {
    let name = `telecare-export${format === 'fhir' ? '-fhir' : ''}.json`;
    const r = await run.run(async () => {
      const res = await api.GET('/api/v1/me/export', { params: { query: { format } }, parseAs: 'blob' });
      name = /filename="([^"]+)"/.exec(res.response.headers.get('content-disposition') ?? '')?.[1] ?? name;
      return res;
    });
    if (!r.ok || !(r.data instanceof Blob)) return;
    const a = document.createElement('a');
    a.href = URL.createObjectURL(r.data);
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
  };
  return (
    <section class="card" aria-labelledby="export-h">
      <h2 id="export-h">{t('account.export.title')}</h2>
      <p>{t('account.export.intro')}</p>
      <ProblemBanner problem={run.problem} />
      <div class="actions">
        <button type="button" disabled={run.busy} onClick={() => void download('json')}>
          {t('account.export.json')}
        </button>
        <button type="button" class="secondary" disabled={run.busy} onClick={() => void download('fhir')}>
          {t('account.export.fhir')}
        </button>
      </div>
    </section>
  );
}

export function CloseAccount() {
  const { route } = useLocation();
  const close = useAction();
  const terms = useGet('/api/v1/me/closure');
  return (
    <section class="card" aria-labelledby="close-h">
      <h2 id="close-h">{t('account.close.title')}</h2>
      <Loading loaded={terms}>
        {() => {
          const c = terms.data!;
          const until = formatDateTime(c.retainUntil, undefined, { dateStyle: 'long' });
          return (
            <>
              <p>{t('account.close.signIn')}</p>
              {session.me?.user.role === 'PATIENT' && <p>{t('account.close.appointments', { n: c.openAppointments })}</p>}
              <p>{t('account.close.retention', { years: c.retentionYears, until })}</p>
              <p>{t('account.close.law')}</p>
              <p>{t('account.close.exportFirst')}</p>
              {c.refusal === 'ADMIN' && <Notice kind="warning">{t('account.close.refusedAdmin')}</Notice>}
              {c.refusal === 'OPEN_APPOINTMENTS' && (
                <Notice kind="warning">{t('account.close.refusedDoctor', { n: c.openAppointments })}</Notice>
              )}
              {c.allowed && (
                <form
                  class="stack"
                  onSubmit={async (e) => {
                    const v = formValues(e);
                    const r = await close.run(() => api.POST('/api/v1/me/close', { body: { password: v.closePassword ?? '' } }));
                    if (r.ok) {
                      session.signedOut('closed');
                      route('/signin');
                    }
                  }}
                >
                  <ProblemBanner problem={close.problem} />
                  <label class="check">
                    <input type="checkbox" name="understood" required /> {t('account.close.understood', { until })}
                  </label>
                  <Field
                    label={t('account.currentPassword')}
                    name="closePassword"
                    type="password"
                    autoComplete="current-password"
                    required
                    problem={close.problem}
                  />
                  <button type="submit" class="danger" disabled={close.busy}>
                    {t('account.close.submit')}
                  </button>
                </form>
              )}
            </>
          );
        }}
      </Loading>
    </section>
  );
}
