import { useState } from 'preact/hooks';
import { api } from '../../api/client';
import { Field, formValues, Notice, Page, ProblemBanner, useAction, When } from '../../components/ui';
import { useSession } from '../../app';
import { CalendarFeed } from '../../components/CalendarFeed';

const genders: Array<[string, string]> = [
  ['female', 'Female'],
  ['male', 'Male'],
  ['other', 'Other'],
  ['unknown', 'Prefer not to say'],
];

export default function Account() {
  const s = useSession();
  const pw = useAction();
  const profile = useAction();
  const [pwDone, setPwDone] = useState(false);
  const [saved, setSaved] = useState(false);
  const me = s.me!;
  return (
    <Page title="Your account">
      <section class="card" aria-labelledby="who-h">
        <h2 id="who-h">
          {me.user.firstname} {me.user.lastname}
        </h2>
        <p>
          Username {me.user.username} · {me.user.email} · {me.user.role.toLowerCase()} · member since <When iso={me.user.createdAt} />
        </p>
        {!me.user.isEmailVerified && (
          <Notice kind="warning">Your email address is not verified yet: open the link we mailed you to book, message or prescribe.</Notice>
        )}
      </section>
      {(me.user.role === 'PATIENT' || me.user.role === 'DOCTOR') && <CalendarFeed />}
      {me.patient && (
        <section class="card" aria-labelledby="health-h">
          <h2 id="health-h">Health profile</h2>
          {saved && <Notice kind="success">Saved.</Notice>}
          <ProblemBanner problem={profile.problem} />
          <form
            class="stack"
            onSubmit={async (e) => {
              const v = formValues(e);
              setSaved(false);
              const r = await profile.run(() =>
                api.PATCH('/api/v1/patients/me', {
                  body: { dateOfBirth: v.dateOfBirth, gender: v.gender as 'female', medicalHistory: v.medicalHistory ?? '' },
                }),
              );
              if (r.ok) {
                setSaved(true);
                await s.reloadMe();
              }
            }}
          >
            <Field label="Date of birth" name="dateOfBirth" type="date" value={me.patient.dateOfBirth} problem={profile.problem} />
            <Field label="Gender" name="gender" options={genders} value={me.patient.gender} problem={profile.problem} />
            <Field label="Medical history" name="medicalHistory" multiline value={me.patient.medicalHistory} problem={profile.problem} />
            <button type="submit" disabled={profile.busy}>
              Save health profile
            </button>
          </form>
        </section>
      )}
      <section class="card" aria-labelledby="pw-h">
        <h2 id="pw-h">Change password</h2>
        {pwDone && <Notice kind="success">Password changed. Your other sessions were signed out.</Notice>}
        <ProblemBanner problem={pw.problem} />
        <form
          class="stack"
          onSubmit={async (e) => {
            const v = formValues(e);
            setPwDone(false);
            const r = await pw.run(() =>
              api.POST('/api/v1/auth/change-password', {
                body: { currentPassword: v.currentPassword ?? '', newPassword: v.newPassword ?? '' },
              }),
            );
            if (r.ok) {
              setPwDone(true);
              (e.target as HTMLFormElement).reset();
            }
          }}
        >
          <Field
            label="Current password"
            name="currentPassword"
            type="password"
            autoComplete="current-password"
            required
            problem={pw.problem}
          />
          <Field
            label="New password"
            name="newPassword"
            type="password"
            autoComplete="new-password"
            required
            hint="At least 10 characters"
            problem={pw.problem}
          />
          <button type="submit" disabled={pw.busy}>
            Change password
          </button>
        </form>
      </section>
    </Page>
  );
}
