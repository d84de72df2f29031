// The doctor's "running late by N minutes" (issue 30): one click in the agenda; the patients waiting in the
// lobby of the doctor's visits see it at once (the server pushes visit.lobby). Lapses by itself after 4 hours.
import { api } from '../api/client';
import { ProblemBanner, useAction } from './ui';
import { useGet } from '../query';
import { t } from '../i18n';

const CHOICES = [5, 10, 15, 30];

export function RunningLate() {
  const late = useGet('/api/v1/doctors/me/running-late');
  const set = useAction();
  const minutes = late.data?.minutes ?? 0;
  const choose = async (m: number) => {
    if ((await set.run(() => api.PUT('/api/v1/doctors/me/running-late', { body: { minutes: m } }))).ok) late.reload();
  };
  return (
    <div class="stack running-late">
      <div role="group" aria-label={t('runningLate.label')} class="actions">
        <button
          type="button"
          class={minutes === 0 ? '' : 'secondary'}
          aria-pressed={minutes === 0}
          disabled={set.busy}
          onClick={() => choose(0)}
        >
          {t('runningLate.onTime')}
        </button>
        {CHOICES.map((m) => (
          <button
            key={m}
            type="button"
            class={minutes === m ? '' : 'secondary'}
            aria-pressed={minutes === m}
            disabled={set.busy}
            onClick={() => choose(m)}
          >
            {t('runningLate.late', { n: m })}
          </button>
        ))}
      </div>
      <ProblemBanner problem={set.problem ?? late.problem} />
    </div>
  );
}
