// Before the patient joins a video visit (issue 27): the server answers 409 CONSENT_REQUIRED, then
// LOCATION_REQUIRED, until the patient has accepted the current telehealth consent and stated where they are.
// The two steps happen here, on the visit page itself, which then asks for the visit again: nothing is lost.
import { useState } from 'preact/hooks';
import { api } from '../api/client';
import Markdown from './Markdown';
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
      <h2 id="before-visit-h">Before you join</h2>
      <ol class="steps" aria-label="Steps before joining">
        <li aria-current={code === 'CONSENT_REQUIRED' ? 'step' : undefined}>Telehealth consent{code === 'LOCATION_REQUIRED' && ' ✓'}</li>
        <li aria-current={code === 'LOCATION_REQUIRED' ? 'step' : undefined}>Where you are</li>
        <li>Join the visit</li>
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
            <h3>Telehealth consent (version {c.version})</h3>
            <div class="consent-text" tabIndex={0} aria-label="Consent text">
              <Markdown source={c.text} />
            </div>
            <ProblemBanner problem={action.problem} />
            <label class="choice">
              <input type="checkbox" checked={agreed} onChange={(e) => setAgreed((e.currentTarget as HTMLInputElement).checked)} /> I have
              read the consent and agree to be seen by video
            </label>
            <div class="actions">
              <button type="submit" disabled={!agreed || action.busy}>
                Accept and continue
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
      <h3>Where are you right now?</h3>
      <p>The law where you are decides how you may be seen: tell us where you will be during this visit.</p>
      <ProblemBanner problem={action.problem} />
      <Field
        label="Country"
        name="country"
        hint="Two-letter code, e.g. US, DE, GB"
        required
        autoComplete="country"
        problem={action.problem}
      />
      <Field
        label="State or region"
        name="region"
        hint="Its ISO 3166-2 code, e.g. US-AL or AL for Alabama"
        required
        problem={action.problem}
      />
      <Field label="City (optional)" name="city" autoComplete="address-level2" problem={action.problem} />
      <div class="actions">
        <button type="submit" disabled={action.busy}>
          Continue
        </button>
      </div>
    </form>
  );
}
