import { useState } from 'preact/hooks';
import { api } from '../../api/client';
import { Field, formValues, Loading, Notice, Page, ProblemBanner, useAction, zoneOptions } from '../../components/ui';
import { useSession } from '../../app';
import { QuestionnaireEditor } from '../../components/QuestionnaireEditor';
import { useGet } from '../../query';

export default function Settings() {
  const s = useSession();
  const me = useGet('/api/v1/doctors/me');
  const save = useAction();
  const [saved, setSaved] = useState(false);
  return (
    <Page title="Profile and booking settings">
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
              {saved && <Notice kind="success">Saved.</Notice>}
              <ProblemBanner problem={save.problem} />
              <p>
                License {d.licenseNumber} · verification <span class="badge">{d.verificationStatus}</span>
                {d.verificationNote ? ` — ${d.verificationNote}` : ''}
              </p>
              <Field label="Specialization" name="specialization" value={d.specialization} required problem={save.problem} />
              <Field label="Bio" name="bio" multiline value={d.bio} problem={save.problem} />
              <Field label="Time zone" name="timezone" options={zoneOptions(d.timezone)} value={d.timezone} problem={save.problem} />
              <Field
                label="Visit length (minutes)"
                name="slotMinutes"
                type="number"
                min={10}
                value={d.slotMinutes}
                problem={save.problem}
              />
              <Field
                label="Minimum notice before a booking (minutes)"
                name="minNoticeMinutes"
                type="number"
                min={0}
                value={d.minNoticeMinutes}
                problem={save.problem}
              />
              <Field
                label="Cancellation notice (hours)"
                name="cancellationNoticeHours"
                type="number"
                min={0}
                max={168}
                value={d.cancellationNoticeHours}
                problem={save.problem}
                hint="Patients may cancel or reschedule online only up to this many hours before the start (0: any time). Patients see it before they book."
              />
              <Field
                label="Bookable up to (days ahead)"
                name="maxAdvanceDays"
                type="number"
                min={1}
                value={d.maxAdvanceDays}
                problem={save.problem}
              />
              <div class="field">
                <label>
                  <input type="checkbox" id="f-autoConfirm" name="autoConfirm" defaultChecked={d.autoConfirm} /> Confirm bookings
                  automatically
                </label>
              </div>
              <button type="submit" disabled={save.busy}>
                Save settings
              </button>
            </form>
          );
        }}
      </Loading>
      {me.data && <QuestionnaireEditor defaultId={me.data.intakeQuestionnaireId} onDefault={me.reload} />}
    </Page>
  );
}
