import { useState } from 'preact/hooks';
import { api } from '../../api/client';
import { Field, formValues, localZone, Notice, Page, ProblemBanner, useAction } from '../../components/ui';

const genders: Array<[string, string]> = [
  ['female', 'Female'],
  ['male', 'Male'],
  ['other', 'Other'],
  ['unknown', 'Prefer not to say'],
];
const zones = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? [localZone()];

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
      <Page title="Check your mail">
        <Notice kind="success">We sent a verification link to {done}. Open it to verify your email address, then sign in.</Notice>
        <a href="/signin">Go to sign in</a>
      </Page>
    );
  }
  return (
    <Page title="Create an account">
      <fieldset class="actions">
        <legend>I am a</legend>
        <label>
          <input type="radio" name="role" checked={role === 'patient'} onChange={() => setRole('patient')} /> Patient
        </label>
        <label>
          <input type="radio" name="role" checked={role === 'doctor'} onChange={() => setRole('doctor')} /> Doctor
        </label>
      </fieldset>
      <ProblemBanner problem={problem} />
      <form class="stack" onSubmit={submit}>
        <Field label="First name" name="firstname" autoComplete="given-name" required problem={problem} />
        <Field label="Last name" name="lastname" autoComplete="family-name" required problem={problem} />
        <Field label="Username" name="username" autoComplete="username" required hint="3–32 letters, digits, _ or ." problem={problem} />
        <Field label="Email" name="email" type="email" autoComplete="email" required problem={problem} />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          hint="At least 10 characters"
          problem={problem}
        />
        {role === 'patient' ? (
          <>
            <Field label="Date of birth" name="dateOfBirth" type="date" required problem={problem} />
            <Field label="Gender" name="gender" options={genders} value="unknown" problem={problem} />
            <Field label="Medical history (optional)" name="medicalHistory" multiline problem={problem} />
          </>
        ) : (
          <>
            <Field label="Specialization" name="specialization" required problem={problem} />
            <Field label="License number" name="licenseNumber" required problem={problem} />
            <Field label="Time zone" name="timezone" options={zones.map((z) => [z, z])} value={localZone()} problem={problem} />
            <Field label="Short bio (optional)" name="bio" multiline problem={problem} />
          </>
        )}
        <button type="submit" disabled={busy}>
          Create {role} account
        </button>
      </form>
    </Page>
  );
}
