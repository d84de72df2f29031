import { useState } from 'preact/hooks';
import { api } from '../../api/client';
import { Field, formValues, localZone, Notice, Page, ProblemBanner, useAction, zoneOptions } from '../../components/ui';
import { currentLocale, t } from '../../i18n';

const genders = (): Array<[string, string]> => [
  ['female', t('gender.female')],
  ['male', t('gender.male')],
  ['other', t('gender.other')],
  ['unknown', t('gender.unknown')],
];

export default function SignUp() {
  const [role, setRole] = useState<'patient' | 'doctor'>('patient');
  const [done, setDone] = useState<string | null>(null);
  const { problem, busy, run } = useAction();
  const submit = async (e: Event) => {
    const v = formValues(e);
    const identity = {
      username: v.username ?? '',
      email: v.email ?? '',
      password: v.password ?? '',
      firstname: v.firstname ?? '',
      lastname: v.lastname ?? '',
      // The account starts in the language the portal speaks (the browser's) and the browser's zone.
      locale: currentLocale(),
      timeZone: localZone(),
    };
    const r =
      role === 'patient'
        ? await run(() =>
            api.POST('/api/v1/auth/register/patient', {
              body: {
                ...identity,
                dateOfBirth: v.dateOfBirth ?? '',
                gender: (v.gender ?? 'unknown') as 'female',
                ...(v.medicalHistory ? { medicalHistory: v.medicalHistory } : {}),
              },
            }),
          )
        : await run(() =>
            api.POST('/api/v1/auth/register/doctor', {
              body: {
                ...identity,
                specialization: v.specialization ?? '',
                licenseNumber: v.licenseNumber ?? '',
                timezone: v.timezone ?? localZone(),
                ...(v.bio ? { bio: v.bio } : {}),
              },
            }),
          );
    if (r.ok) setDone(identity.email);
  };
  if (done) {
    return (
      <Page title={t('signup.checkMail')}>
        <Notice kind="success">{t('signup.sent', { email: done })}</Notice>
        <a href="/signin">{t('signup.goSignIn')}</a>
      </Page>
    );
  }
  return (
    <Page title={t('signup.title')}>
      <fieldset class="actions">
        <legend>{t('signup.iAm')}</legend>
        <label>
          <input type="radio" name="role" checked={role === 'patient'} onChange={() => setRole('patient')} /> {t('signup.patient')}
        </label>
        <label>
          <input type="radio" name="role" checked={role === 'doctor'} onChange={() => setRole('doctor')} /> {t('signup.doctor')}
        </label>
      </fieldset>
      <ProblemBanner problem={problem} />
      <form class="stack" onSubmit={submit}>
        <Field label={t('form.firstname')} name="firstname" autoComplete="given-name" required problem={problem} />
        <Field label={t('form.lastname')} name="lastname" autoComplete="family-name" required problem={problem} />
        <Field
          label={t('signup.username')}
          name="username"
          autoComplete="username"
          required
          hint={t('signup.usernameHint')}
          problem={problem}
        />
        <Field label={t('signup.email')} name="email" type="email" autoComplete="email" required problem={problem} />
        <Field
          label={t('form.password')}
          name="password"
          type="password"
          autoComplete="new-password"
          required
          hint={t('form.passwordHint')}
          problem={problem}
        />
        {role === 'patient' ? (
          <>
            <Field label={t('form.dateOfBirth')} name="dateOfBirth" type="date" required problem={problem} />
            <Field label={t('form.gender')} name="gender" options={genders()} value="unknown" problem={problem} />
            <Field label={t('signup.medicalHistory')} name="medicalHistory" multiline problem={problem} />
          </>
        ) : (
          <>
            <Field label={t('signup.specialization')} name="specialization" required problem={problem} />
            <Field label={t('signup.licenseNumber')} name="licenseNumber" required problem={problem} />
            <Field label={t('signup.workZone')} name="timezone" options={zoneOptions()} value={localZone()} problem={problem} />
            <Field label={t('signup.bio')} name="bio" multiline problem={problem} />
          </>
        )}
        <button type="submit" disabled={busy}>
          {t(role === 'patient' ? 'signup.submitPatient' : 'signup.submitDoctor')}
        </button>
      </form>
    </Page>
  );
}
