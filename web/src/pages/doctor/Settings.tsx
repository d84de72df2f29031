import { useState } from 'preact/hooks';
import { api } from '../../api/client';
import { Field, formValues, Loading, Notice, Page, ProblemBanner, useAction, zoneOptions } from '../../components/ui';
import { useSession } from '../../app';
import { QuestionnaireEditor } from '../../components/QuestionnaireEditor';
import { useGet } from '../../query';
import { t } from '../../i18n';

const VERIFICATION: Record<string, string> = {
  PENDING: 'doctorSettings.verification.PENDING',
  VERIFIED: 'doctorSettings.verification.VERIFIED',
  REJECTED: 'doctorSettings.verification.REJECTED',
};

export default function Settings() {
  const s = useSession();
  const me = useGet('/api/v1/doctors/me');
  const save = useAction();
  const [saved, setSaved] = useState(false);
  return (
    <Page title={t('doctorSettings.title')}>
      <Loading loaded={me}>
        {() => {
          const d = me.data!;
          return (
            <form
              class="stack"
              onSubmit={async (e) => {
                const v = formValues(e);
                setSaved(false);
                const autoConfirm = (e.target as HTMLFormElement).querySelector<HTMLInputElement>('#f-autoConfirm')!.checked;
                const r = await save.run(() =>
                  api.PATCH('/api/v1/doctors/me', {
                    body: {
                      specialization: v.specialization,
                      bio: v.bio ?? '',
                      timezone: v.timezone,
                      autoConfirm,
                      slotMinutes: Number(v.slotMinutes),
                      minNoticeMinutes: Number(v.minNoticeMinutes),
                      maxAdvanceDays: Number(v.maxAdvanceDays),
                      cancellationNoticeHours: Number(v.cancellationNoticeHours ?? 0),
                    },
                  }),
                );
                if (r.ok) {
                  setSaved(true);
                  me.reload();
                  await s.reloadMe();
                }
              }}
            >
              {saved && <Notice kind="success">{t('doctorSettings.saved')}</Notice>}
              <ProblemBanner problem={save.problem} />
              <p>
                {t('doctorSettings.license', { license: d.licenseNumber })}{' '}
                <span class="badge">
                  {VERIFICATION[d.verificationStatus] ? t(VERIFICATION[d.verificationStatus]) : d.verificationStatus}
                </span>
                {d.verificationNote ? ` — ${d.verificationNote}` : ''}
              </p>
              <Field
                label={t('doctorSettings.specialization')}
                name="specialization"
                value={d.specialization}
                required
                problem={save.problem}
              />
              <Field label={t('doctorSettings.bio')} name="bio" multiline value={d.bio} problem={save.problem} />
              <Field
                label={t('doctorSettings.timezone')}
                name="timezone"
                options={zoneOptions(d.timezone)}
                value={d.timezone}
                problem={save.problem}
              />
              <Field
                label={t('doctorSettings.slotMinutes')}
                name="slotMinutes"
                type="number"
                min={10}
                value={d.slotMinutes}
                problem={save.problem}
              />
              <Field
                label={t('doctorSettings.minNotice')}
                name="minNoticeMinutes"
                type="number"
                min={0}
                value={d.minNoticeMinutes}
                problem={save.problem}
              />
              <Field
                label={t('doctorSettings.cancellationNotice')}
                name="cancellationNoticeHours"
                type="number"
                min={0}
                max={168}
                value={d.cancellationNoticeHours}
                problem={save.problem}
                hint={t('doctorSettings.cancellationNoticeHint')}
              />
              <Field
                label={t('doctorSettings.maxAdvance')}
                name="maxAdvanceDays"
                type="number"
                min={1}
                value={d.maxAdvanceDays}
                problem={save.problem}
              />
              <div class="field">
                <label>
                  <input type="checkbox" id="f-autoConfirm" name="autoConfirm" defaultChecked={d.autoConfirm} />{' '}
                  {t('doctorSettings.autoConfirm')}
                </label>
              </div>
              <button type="submit" disabled={save.busy}>
                {t('doctorSettings.save')}
              </button>
            </form>
          );
        }}
      </Loading>
      {me.data && <QuestionnaireEditor defaultId={me.data.intakeQuestionnaireId} onDefault={me.reload} />}
    </Page>
  );
}
