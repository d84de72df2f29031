import { useState } from 'preact/hooks';
import { api } from '../../api/client';
import { Field, formValues, Notice, Page, ProblemBanner, useAction, When } from '../../components/ui';
import { useSession } from '../../app';
import { CalendarFeed } from '../../components/CalendarFeed';
import { CloseAccount, EmailChange, ExportDownload } from '../../components/AccountSelfService';
import { isLocale, LANGUAGE_NAMES, LOCALES, t } from '../../i18n';

const genders = (): Array<[string, string]> => [
  ['female', t('gender.female')],
  ['male', t('gender.male')],
  ['other', t('gender.other')],
  ['unknown', t('gender.unknown')],
];
const zones = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
const ROLE_KEYS = { PATIENT: 'role.patient', DOCTOR: 'role.doctor', ADMIN: 'role.admin' } as const;

export default function Account() {
  const s = useSession();
  const pw = useAction();
  const profile = useAction();
  const details = useAction();
  const [pwDone, setPwDone] = useState(false);
  const [saved, setSaved] = useState(false);
  const [detailsSaved, setDetailsSaved] = useState(false);
  const me = s.me!;
  // The account's zone stays choosable even where this browser's list lacks it (UTC, an alias).
  const zoneOptions = (zones.includes(me.user.timeZone) ? zones : [me.user.timeZone, ...zones]).map((z): [string, string] => [z, z]);
  return (
    <Page title={t('account.title')}>
      <section class="card" aria-labelledby="who-h">
        <h2 id="who-h" translate={false}>
          {me.user.firstname} {me.user.lastname}
        </h2>
        <p>
          {t('account.username', { username: me.user.username })} · {me.user.email} · {t(ROLE_KEYS[me.user.role])} ·{' '}
          {t('account.memberSince')} <When iso={me.user.createdAt} />
        </p>
        {!me.user.isEmailVerified && <Notice kind="warning">{t('account.unverified')}</Notice>}
      </section>
      <section class="card" aria-labelledby="details-h">
        <h2 id="details-h">{t('account.details')}</h2>
        {detailsSaved && <Notice kind="success">{t('account.saved')}</Notice>}
        <ProblemBanner problem={details.problem} />
        <form
          class="stack"
          onSubmit={async (e) => {
            const v = formValues(e);
            setDetailsSaved(false);
            const locale = isLocale(v.locale) ? v.locale : undefined;
            const r = await details.run(() =>
              api.PATCH('/api/v1/me', {
                body: {
                  firstname: v.firstname ?? '',
                  lastname: v.lastname ?? '',
                  timeZone: v.timeZone ?? '',
                  ...(locale ? { locale } : {}),
                },
              }),
            );
            if (r.ok) {
              await s.reloadMe();
              setDetailsSaved(true);
            }
          }}
        >
          <Field
            label={t('form.firstname')}
            name="firstname"
            autoComplete="given-name"
            value={me.user.firstname}
            required
            problem={details.problem}
          />
          <Field
            label={t('form.lastname')}
            name="lastname"
            autoComplete="family-name"
            value={me.user.lastname}
            required
            problem={details.problem}
          />
          <Field
            label={t('account.language')}
            name="locale"
            options={LOCALES.map((l): [string, string] => [l, LANGUAGE_NAMES[l]])}
            value={me.user.locale}
            problem={details.problem}
          />
          <Field
            label={t('account.timeZone')}
            name="timeZone"
            options={zoneOptions}
            value={me.user.timeZone}
            hint={t('account.timeZoneHint')}
            problem={details.problem}
          />
          <button type="submit" disabled={details.busy}>
            {t('account.saveDetails')}
          </button>
        </form>
      </section>
      <EmailChange />
      {(me.user.role === 'PATIENT' || me.user.role === 'DOCTOR') && <CalendarFeed />}
      {me.patient && (
        <section class="card" aria-labelledby="health-h">
          <h2 id="health-h">{t('account.health')}</h2>
          {saved && <Notice kind="success">{t('account.saved')}</Notice>}
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
            <Field label={t('form.dateOfBirth')} name="dateOfBirth" type="date" value={me.patient.dateOfBirth} problem={profile.problem} />
            <Field label={t('form.gender')} name="gender" options={genders()} value={me.patient.gender} problem={profile.problem} />
            <Field
              label={t('account.medicalHistory')}
              name="medicalHistory"
              multiline
              value={me.patient.medicalHistory}
              problem={profile.problem}
            />
            <button type="submit" disabled={profile.busy}>
              {t('account.saveHealth')}
            </button>
          </form>
        </section>
      )}
      <section class="card" aria-labelledby="pw-h">
        <h2 id="pw-h">{t('account.changePassword')}</h2>
        {pwDone && <Notice kind="success">{t('account.passwordChanged')}</Notice>}
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
            label={t('account.currentPassword')}
            name="currentPassword"
            type="password"
            autoComplete="current-password"
            required
            problem={pw.problem}
          />
          <Field
            label={t('account.newPassword')}
            name="newPassword"
            type="password"
            autoComplete="new-password"
            required
            hint={t('form.passwordHint')}
            problem={pw.problem}
          />
          <button type="submit" disabled={pw.busy}>
            {t('account.changePassword')}
          </button>
        </form>
      </section>
      <ExportDownload />
      <CloseAccount />
    </Page>
  );
}
