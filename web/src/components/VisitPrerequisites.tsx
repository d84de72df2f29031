// Before the patient joins a video visit (issue 27): the server answers 409 CONSENT_REQUIRED, then
// LOCATION_REQUIRED, until the patient has accepted the current telehealth consent and stated where they are.
// The two steps happen here, on the visit page itself, which then asks for the visit again: nothing is lost.
import { useState } from 'preact/hooks';
import { api } from '../api/client';
import Markdown from './Markdown';
import { t } from '../i18n';
import { Field, formValues, Loading, ProblemBanner, useAction } from './ui';
import { useGet } from '../query';

export function VisitPrerequisites({
  id,
  code,
  onDone,
}: {
  id: string;
  code: 'CONSENT_REQUIRED' | 'LOCATION_REQUIRED';
  onDone: () => void;
}) {
  return (
    <section aria-labelledby="before-visit-h">
      <h2 id="before-visit-h">{t('prereq.title')}</h2>
      <ol class="steps" aria-label={t('prereq.steps')}>
        <li aria-current={code === 'CONSENT_REQUIRED' ? 'step' : undefined}>
          {t('prereq.consent')}
          {code === 'LOCATION_REQUIRED' && ' ✓'}
        </li>
        <li aria-current={code === 'LOCATION_REQUIRED' ? 'step' : undefined}>{t('prereq.where')}</li>
        <li>{t('prereq.join')}</li>
      </ol>
      {code === 'CONSENT_REQUIRED' ? <ConsentStep onDone={onDone} /> : <LocationStep id={id} onDone={onDone} />}
    </section>
  );
}

function ConsentStep({ onDone }: { onDone: () => void }) {
  const consent = useGet('/api/v1/consents/telehealth');
  const [agreed, setAgreed] = useState(false);
  const action = useAction();
  return (
    <Loading loaded={consent}>
      {() => {
        const c = consent.data!;
        const accept = async (e: Event) => {
          e.preventDefault();
          const r = await action.run(() => api.POST('/api/v1/me/consents', { body: { type: 'telehealth', version: c.version } }));
          if (r.ok) onDone();
        };
        return (
          <form onSubmit={accept}>
            <h3>{t('prereq.consentVersion', { version: c.version })}</h3>
            <div class="consent-text" tabIndex={0} aria-label={t('prereq.consentText')}>
              <Markdown source={c.text} />
            </div>
            <ProblemBanner problem={action.problem} />
            <label class="choice">
              <input type="checkbox" checked={agreed} onChange={(e) => setAgreed((e.currentTarget as HTMLInputElement).checked)} />{' '}
              {t('prereq.agree')}
            </label>
            <div class="actions">
              <button type="submit" disabled={!agreed || action.busy}>
                {t('prereq.accept')}
              </button>
            </div>
          </form>
        );
      }}
    </Loading>
  );
}

function LocationStep({ id, onDone }: { id: string; onDone: () => void }) {
  const action = useAction();
  const submit = async (e: Event) => {
    const v = formValues(e);
    const country = (v.country ?? '').trim().toUpperCase();
    const region = (v.region ?? '').trim().toUpperCase();
    const body = { country, region: region.includes('-') ? region : `${country}-${region}`, ...(v.city ? { city: v.city.trim() } : {}) };
    const r = await action.run(() => api.POST('/api/v1/appointments/{id}/visit/location', { params: { path: { id } }, body }));
    if (r.ok) onDone();
  };
  return (
    <form onSubmit={submit}>
      <h3>{t('prereq.location.title')}</h3>
      <p>{t('prereq.location.intro')}</p>
      <ProblemBanner problem={action.problem} />
      <Field
        label={t('prereq.location.country')}
        name="country"
        hint={t('prereq.location.countryHint')}
        required
        autoComplete="country"
        problem={action.problem}
      />
      <Field label={t('prereq.location.region')} name="region" hint={t('prereq.location.regionHint')} required problem={action.problem} />
      <Field label={t('prereq.location.city')} name="city" autoComplete="address-level2" problem={action.problem} />
      <div class="actions">
        <button type="submit" disabled={action.busy}>
          {t('prereq.location.continue')}
        </button>
      </div>
    </form>
  );
}
