// Free slots of a doctor for one week, shown in the viewer's zone with the doctor's own time beside it.
import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { displayZone, t } from '../i18n';
import { formatDateTime, Loading, type useAction } from './ui';
import { useGet } from '../query';

const DAY = 86_400_000;

export function SlotPicker({
  doctorId,
  doctorZone,
  selected,
  onSelect,
}: {
  doctorId: string;
  doctorZone: string;
  selected: string | null;
  onSelect: (startsAt: string) => void;
}) {
  const [week, setWeek] = useState(0);
  // Fixed while the picker is open: the query's key must not change at every render.
  const [opened] = useState(() => Date.now());
  const from = new Date(opened + week * 7 * DAY);
  const to = new Date(from.getTime() + 7 * DAY);
  const slots = useGet('/api/v1/doctors/{doctorId}/slots', {
    params: { path: { doctorId }, query: { from: from.toISOString(), to: to.toISOString() } },
  });
  const zone = displayZone();
  const byDay = new Map<string, string[]>();
  for (const s of slots.data ?? []) {
    const day = formatDateTime(s.startsAt, zone, { weekday: 'long', month: 'long', day: 'numeric' });
    byDay.set(day, [...(byDay.get(day) ?? []), s.startsAt]);
  }
  return (
    <section aria-labelledby="slots-h">
      <h2 id="slots-h">{t('slots.title')}</h2>
      <p class="muted">{t('slots.zones', { zone, doctorZone })}</p>
      <div class="actions">
        <button type="button" class="secondary" disabled={week === 0} onClick={() => setWeek(week - 1)}>
          {t('slots.previous')}
        </button>
        <button type="button" class="secondary" onClick={() => setWeek(week + 1)}>
          {t('slots.next')}
        </button>
      </div>
      <Loading loaded={slots}>
        {() =>
          byDay.size === 0 ? (
            <p>{t('slots.none')}</p>
          ) : (
            [...byDay].map(([day, starts], i) => (
              // One day open at a time keeps a full week short on a phone.
              <details key={day} open={i === 0}>
                <summary>{t('slots.day', { day, n: starts.length })}</summary>
                <ul class="slots">
                  {starts.map((s) => (
                    <li key={s}>
                      <button
                        type="button"
                        class="secondary"
                        aria-pressed={selected === s}
                        onClick={() => onSelect(s)}
                        aria-label={t('slots.slot', {
                          time: formatDateTime(s, zone, { timeStyle: 'short' }),
                          day: formatDateTime(s, zone, { weekday: 'long', day: 'numeric', month: 'long' }),
                          doctorTime: formatDateTime(s, doctorZone, { timeStyle: 'short' }),
                        })}
                      >
                        {formatDateTime(s, zone, { timeStyle: 'short' }, false)}
                      </button>
                    </li>
                  ))}
                </ul>
              </details>
            ))
          )
        }
      </Loading>
    </section>
  );
}

/**
 * Picks a free time of the appointment's doctor and moves the appointment there, for the patient's card and the
 * doctor's agenda alike. `act` is the caller's, so the caller shows the problem (a late change, a taken slot).
 */
export function RescheduleForm({
  appointmentId,
  doctorId,
  doctorZone,
  act,
  label,
  onMoved,
}: {
  appointmentId: string;
  doctorId: string;
  doctorZone: string;
  act: ReturnType<typeof useAction>;
  label: string;
  onMoved: () => void;
}) {
  const [slot, setSlot] = useState<string | null>(null);
  return (
    <div class="stack">
      <SlotPicker doctorId={doctorId} doctorZone={doctorZone} selected={slot} onSelect={setSlot} />
      <button
        type="button"
        disabled={!slot || act.busy}
        onClick={async () => {
          if (
            slot &&
            (
              await act.run(() =>
                api.POST('/api/v1/appointments/{id}/reschedule', { params: { path: { id: appointmentId } }, body: { startsAt: slot } }),
              )
            ).ok
          ) {
            setSlot(null);
            onMoved();
          }
        }}
      >
        {label}
      </button>
    </div>
  );
}
