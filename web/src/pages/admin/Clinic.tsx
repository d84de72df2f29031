// The clinic's settings (admin): name, address, contact, brand colours (with the contrast rule the server
// applies), the mail footer and the logo. Saving applies them to this portal at once.
import { useState } from 'preact/hooks';
import { api, asProblem, type Problem } from '../../api/client';
import { Field, formValues, Loading, Notice, Page, ProblemBanner, useAction } from '../../components/ui';
import { useGet } from '../../query';
import { applyClinic, contrastWithWhite, type Clinic as ClinicSettings } from '../../clinic';
import { session } from '../../session';
import { t } from '../../i18n';

const MIN = 4.5;

function ColourField({ label, name, initial, problem }: { label: string; name: string; initial: string | null; problem: Problem | null }) {
  const [on, setOn] = useState(initial !== null);
  const [value, setValue] = useState(initial ?? '#0b5cad');
  const ratio = contrastWithWhite(value);
  const ok = ratio >= MIN;
  const hintId = `${name}-contrast`;
  return (
    <fieldset class="stack">
      <legend>{label}</legend>
      <label>
        <input type="checkbox" name={`${name}-custom`} checked={on} onChange={(e) => setOn((e.target as HTMLInputElement).checked)} />{' '}
        {t('clinic.colour.custom')}
      </label>
      {on && (
        <>
          <Field
            label={t('clinic.colour.field', { label })}
            name={name}
            type="color"
            value={value}
            onInput={(e) => setValue((e.target as HTMLInputElement).value)}
            problem={problem}
          />
          <p id={hintId}>
            <span class="swatch" style={{ background: value }}>
              {t('clinic.colour.sample')}
            </span>{' '}
            {t('clinic.colour.contrast', { value, ratio: ratio.toFixed(2) })}{' '}
            {ok ? t('clinic.colour.meets') : <strong>{t('clinic.colour.tooLight')}</strong>}
          </p>
        </>
      )}
    </fieldset>
  );
}

function LogoPanel({ settings, onChange }: { settings: ClinicSettings; onChange: (c: ClinicSettings) => void }) {
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const send = async (method: 'PUT' | 'DELETE', body?: File) => {
    setBusy(true);
    setProblem(null);
    try {
      // The logo is the request body itself (not JSON), so it is sent with fetch and the session's token.
      const res = await fetch('/api/v1/admin/clinic/logo', {
        method,
        headers: {
          authorization: `Bearer ${session.accessToken ?? ''}`,
          ...(body ? { 'content-type': body.type || 'application/octet-stream' } : {}),
        },
        body,
      });
      const json = await res.json().catch(() => null);
      if (!res.ok) setProblem(asProblem(json));
      else onChange(json as ClinicSettings);
    } catch (e) {
      setProblem(asProblem(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card stack" aria-labelledby="logo-h">
      <h2 id="logo-h">{t('clinic.logo.title')}</h2>
      <p>{t('clinic.logo.hint')}</p>
      {settings.logoUrl ? (
        <img class="logo-preview" src={settings.logoUrl} alt={t('clinic.logo.current')} />
      ) : (
        <p>{t('clinic.logo.none')}</p>
      )}
      <ProblemBanner problem={problem} />
      <div class="field">
        <label for="logo-file">{t('clinic.logo.upload')}</label>
        <input
          id="logo-file"
          type="file"
          accept="image/png,image/jpeg"
          disabled={busy}
          onChange={(e) => {
            const file = (e.target as HTMLInputElement).files?.[0];
            if (file) void send('PUT', file);
          }}
        />
      </div>
      {settings.logoUrl && (
        <button type="button" class="secondary" disabled={busy} onClick={() => void send('DELETE')}>
          {t('clinic.logo.remove')}
        </button>
      )}
    </section>
  );
}

export default function Clinic() {
  const loaded = useGet('/api/v1/clinic');
  const save = useAction();
  const [saved, setSaved] = useState<ClinicSettings | null>(null);
  const [formKey, setFormKey] = useState(0);
  return (
    <Page title={t('clinic.title')}>
      <Loading loaded={loaded}>
        {() => {
          const current = saved ?? loaded.data!;
          const update = (c: ClinicSettings) => {
            setSaved(c);
            applyClinic(c);
          };
          return (
            <>
              <section class="card" aria-labelledby="settings-h">
                <h2 id="settings-h">{t('clinic.settings.title')}</h2>
                <p>{t('clinic.settings.intro')}</p>
                <ProblemBanner problem={save.problem} />
                {saved && formKey > 0 && <Notice kind="success">{t('clinic.settings.saved')}</Notice>}
                <form
                  key={formKey}
                  class="stack"
                  onSubmit={async (e) => {
                    const form = e.currentTarget as HTMLFormElement;
                    const v = formValues(e);
                    const custom = (n: string) => (form.elements.namedItem(`${n}-custom`) as HTMLInputElement | null)?.checked;
                    const body = {
                      name: v.name ?? '',
                      addressLines: (v.address ?? '')
                        .split('\n')
                        .map((l) => l.trim())
                        .filter(Boolean),
                      phone: v.phone ?? null,
                      contactEmail: v.contactEmail ?? null,
                      primaryColor: custom('primaryColor') ? (v.primaryColor ?? null) : null,
                      accentColor: custom('accentColor') ? (v.accentColor ?? null) : null,
                      mailFooter: v.mailFooter ?? null,
                    };
                    const r = await save.run(() => api.PUT('/api/v1/admin/clinic', { body }));
                    if (r.ok && r.data) {
                      update(r.data);
                      setFormKey((k) => k + 1);
                    }
                  }}
                >
                  <Field label={t('clinic.field.name')} name="name" value={current.name} required problem={save.problem} />
                  <Field
                    label={t('clinic.field.address')}
                    name="address"
                    multiline
                    value={current.addressLines.join('\n')}
                    problem={save.problem}
                  />
                  <Field label={t('clinic.field.phone')} name="phone" type="tel" value={current.phone ?? ''} problem={save.problem} />
                  <Field
                    label={t('clinic.field.contactEmail')}
                    name="contactEmail"
                    type="email"
                    value={current.contactEmail ?? ''}
                    problem={save.problem}
                  />
                  <p>{t('clinic.colour.rule')}</p>
                  <ColourField
                    label={t('clinic.field.primaryColor')}
                    name="primaryColor"
                    initial={current.primaryColor}
                    problem={save.problem}
                  />
                  <ColourField
                    label={t('clinic.field.accentColor')}
                    name="accentColor"
                    initial={current.accentColor}
                    problem={save.problem}
                  />
                  <Field
                    label={t('clinic.field.mailFooter')}
                    name="mailFooter"
                    multiline
                    hint={t('clinic.field.mailFooterHint')}
                    value={current.mailFooter ?? ''}
                    problem={save.problem}
                  />
                  <button type="submit" disabled={save.busy}>
                    {t('clinic.save')}
                  </button>
                </form>
              </section>
              <LogoPanel settings={current} onChange={update} />
            </>
          );
        }}
      </Loading>
    </Page>
  );
}
