// The page a prescription's verification address opens: a pharmacist, signed out, checks that the paper
// matches a prescription issued here and still valid. Shows only what the public endpoint answers.
import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api } from '../../api/client';
import type { paths } from '../../api/schema';
import { Field, formValues, Page, ProblemBanner, useAction, When } from '../../components/ui';
import { t } from '../../i18n';

type Verification = paths['/api/v1/prescriptions/verify/{code}']['get']['responses'][200]['content']['application/json'];

export default function VerifyPrescription() {
  const { query, route } = useLocation();
  const check = useAction();
  const [result, setResult] = useState<Verification | null>(null);
  const code = query.code ?? '';
  useEffect(() => {
    setResult(null);
    if (!code) return;
    void check
      .run(() => api.GET('/api/v1/prescriptions/verify/{code}', { params: { path: { code } } }))
      .then((r) => setResult(r.ok ? (r.data as Verification) : null));
  }, [code]);
  const notFound = check.problem?.status === 404 || check.problem?.status === 400;
  return (
    <Page title={t('rxVerify.title')}>
      <p>{t('rxVerify.intro')}</p>
      <form class="actions" onSubmit={(e) => route(`/verify/prescription?code=${encodeURIComponent(formValues(e).code ?? '')}`)}>
        <Field label={t('rxVerify.code')} name="code" value={code} required autoComplete="off" />
        <button type="submit">{t('rxVerify.submit')}</button>
      </form>
      {notFound ? (
        <div class="banner error" role="alert">
          {t('rxVerify.notFound')}
        </div>
      ) : (
        <ProblemBanner problem={check.problem} />
      )}
      {result && (
        <section class="card" aria-labelledby="rx-result">
          <h2 id="rx-result" class={`banner ${result.valid ? 'success' : 'error'}`}>
            {result.valid ? t('rxVerify.valid') : t('rxVerify.revoked')}
          </h2>
          <dl>
            <dt>{t('rxVerify.issued')}</dt>
            <dd>
              <When iso={result.issuedAt} />
            </dd>
            {result.revokedAt && (
              <>
                <dt>{t('rxVerify.revokedAt')}</dt>
                <dd>
                  <When iso={result.revokedAt} />
                </dd>
              </>
            )}
            <dt>{t('rxVerify.doctor')}</dt>
            <dd>{result.doctorName}</dd>
            <dt>{t('rxVerify.patient')}</dt>
            <dd>{t('rxVerify.patientValue', { initials: result.patientInitials, year: String(result.patientBirthYear) })}</dd>
          </dl>
          <h3>{t('rxVerify.items')}</h3>
          <ul>
            {result.items.map((i, n) => (
              <li key={n}>
                {i.medication} — {i.strength ?? <em>{t('rxVerify.noStrength')}</em>}
              </li>
            ))}
          </ul>
        </section>
      )}
    </Page>
  );
}
