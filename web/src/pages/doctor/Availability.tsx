// Weekly availability in the doctor's own zone, with a live preview of the slots the draft produces
// (pure arithmetic on local HH:MM, as the server generates them) and the real next free slots once saved.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api/client';
import { Field, formatDateTime, formValues, ListEnd, Loading, Notice, Page, ProblemBanner, useAction, When } from '../../components/ui';
import { useSession } from '../../app';
import { invalidate, useGet, useList } from '../../query';
import { intlTag, t, tRich } from '../../i18n';

type Rule = { weekday: number; start: string; end: string };
/** Monday to Sunday, named in the portal's language (1 January 2024 was a Monday). */
const weekdays = () =>
  [0, 1, 2, 3, 4, 5, 6].map((n) =>
    new Intl.DateTimeFormat(intlTag(), { weekday: 'long', timeZone: 'UTC' }).format(Date.UTC(2024, 0, 1 + n)),
  );
const toMin = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));
const toHHMM = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

export function previewSlots(rules: Rule[], slotMinutes: number): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const r of rules) {
    if (!/^\d\d:\d\d$/.test(r.start) || !/^\d\d:\d\d$/.test(r.end)) continue;
    const list = out.get(r.weekday) ?? [];
    for (let m = toMin(r.start); m + slotMinutes <= toMin(r.end); m += slotMinutes) list.push(toHHMM(m));
    out.set(r.weekday, list.sort());
  }
  return out;
}

export default function Availability() {
  const s = useSession();
  const current = useGet('/api/v1/doctors/me/availability');
  const [rules, setRules] = useState<Rule[] | null>(null);
  const save = useAction();
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (current.data && rules === null) setRules(current.data.weekly.map((r) => ({ ...r })));
  }, [current.data]);
  const doctorId = s.me!.user.id;
  const [now] = useState(() => new Date());
  const verified = s.me!.doctor?.verificationStatus === 'VERIFIED';
  // Patients see only verified doctors' slots (others answer 404), so there is nothing to show before.
  const upcoming = useGet(
    '/api/v1/doctors/{doctorId}/slots',
    { params: { path: { doctorId }, query: { from: now.toISOString(), to: new Date(now.getTime() + 7 * 86_400_000).toISOString() } } },
    { enabled: verified },
  );
  const update = (i: number, patch: Partial<Rule>) => setRules((rs) => rs!.map((r, n) => (n === i ? { ...r, ...patch } : r)));
  const slotMinutes = current.data?.slotMinutes ?? 30;
  const preview = rules ? previewSlots(rules, slotMinutes) : new Map();
  const WEEKDAYS = weekdays();
  return (
    <Page title={t('availability.title')}>
      <Loading loaded={current}>
        {() => (
          <>
            <p>
              {tRich('availability.intro', {
                zone: current.data!.timezone,
                minutes: slotMinutes,
                b: (c) => <strong>{c}</strong>,
                link: (c) => <a href="/doctor/settings">{c}</a>,
              })}
            </p>
            {saved && <Notice kind="success">{t('availability.saved')}</Notice>}
            <ProblemBanner problem={save.problem} />
            <form
              class="stack"
              onSubmit={async (e) => {
                e.preventDefault();
                setSaved(false);
                if ((await save.run(() => api.PUT('/api/v1/doctors/me/availability', { body: { weekly: rules! } }))).ok) {
                  setSaved(true);
                  invalidate('/api/v1/doctors/{doctorId}/slots', '/api/v1/doctors/me/availability');
                }
              }}
            >
              {(rules ?? []).map((r, i) => (
                <fieldset key={i} class="actions">
                  <legend>{t('availability.period', { n: i + 1 })}</legend>
                  <div class="field">
                    <label for={`wd-${i}`}>{t('availability.day')}</label>
                    <select id={`wd-${i}`} onChange={(e) => update(i, { weekday: Number((e.target as HTMLSelectElement).value) })}>
                      {WEEKDAYS.map((w, n) => (
                        <option key={w} value={n + 1} selected={r.weekday === n + 1}>
                          {w}
                        </option>
                      ))}
                    </select>
                  </div>
                  <div class="field">
                    <label for={`st-${i}`}>{t('availability.from')}</label>
                    <input
                      id={`st-${i}`}
                      type="time"
                      value={r.start}
                      onInput={(e) => update(i, { start: (e.target as HTMLInputElement).value })}
                    />
                  </div>
                  <div class="field">
                    <label for={`en-${i}`}>{t('availability.until')}</label>
                    <input
                      id={`en-${i}`}
                      type="time"
                      value={r.end}
                      onInput={(e) => update(i, { end: (e.target as HTMLInputElement).value })}
                    />
                  </div>
                  <button
                    type="button"
                    class="secondary"
                    aria-label={t('availability.removePeriod', { n: i + 1 })}
                    onClick={() => setRules((rs) => rs!.filter((_, n) => n !== i))}
                  >
                    {t('availability.remove')}
                  </button>
                </fieldset>
              ))}
              {rules && rules.length > 0 && <CopyDay rules={rules} onCopy={setRules} />}
              <div class="actions">
                <button
                  type="button"
                  class="secondary"
                  onClick={() => setRules((rs) => [...(rs ?? []), { weekday: 1, start: '09:00', end: '12:00' }])}
                >
                  {t('availability.add')}
                </button>
                <button type="submit" disabled={save.busy}>
                  {t('availability.save')}
                </button>
              </div>
            </form>
            <section aria-labelledby="preview-h">
              <h2 id="preview-h">{t('availability.preview')}</h2>
              {preview.size === 0 ? (
                <p>{t('availability.noSlots')}</p>
              ) : (
                <div class="week">
                  {[...preview]
                    .sort(([a], [b]) => a - b)
                    .map(([wd, times]) => (
                      <div class="card" key={wd}>
                        <h3>{WEEKDAYS[wd - 1]}</h3>
                        <p>{t('availability.slots', { n: times.length, first: times[0], last: times[times.length - 1] })}</p>
                        <p class="muted">
                          {times.slice(0, 6).join(', ')}
                          {times.length > 6 ? ' …' : ''}
                        </p>
                      </div>
                    ))}
                </div>
              )}
            </section>
          </>
        )}
      </Loading>
      <section aria-labelledby="next-h">
        <h2 id="next-h">{t('availability.next')}</h2>
        {!verified ? (
          <p>{t('availability.unverified')}</p>
        ) : (
          <Loading loaded={upcoming}>
            {() =>
              upcoming.data!.length === 0 ? (
                <p>{t('availability.none')}</p>
              ) : (
                <p>
                  {upcoming
                    .data!.slice(0, 12)
                    .map((x) => formatDateTime(x.startsAt))
                    .join(' · ')}
                  {upcoming.data!.length > 12 ? ` … ${t('availability.inAll', { n: upcoming.data!.length })}` : ''}
                </p>
              )
            }
          </Loading>
        )}
      </section>
      <TimeOff onChange={() => invalidate('/api/v1/doctors/{doctorId}/slots')} />
    </Page>
  );
}

/** The periods of `rules` with every period of `from` copied to each of `to` (whose own periods are replaced). */
export function copyDay(rules: Rule[], from: number, to: number[]): Rule[] {
  const source = rules.filter((r) => r.weekday === from);
  const kept = rules.filter((r) => !to.includes(r.weekday) || r.weekday === from);
  const copies = to.filter((d) => d !== from).flatMap((d) => source.map((r) => ({ ...r, weekday: d })));
  return [...kept, ...copies].sort((a, b) => a.weekday - b.weekday || a.start.localeCompare(b.start));
}

/** "Copy Monday's hours to Tuesday–Friday": one click instead of a row per weekday; saved with the form. */
function CopyDay({ rules, onCopy }: { rules: Rule[]; onCopy: (rules: Rule[]) => void }) {
  const days = [...new Set(rules.map((r) => r.weekday))].sort();
  const [from, setFrom] = useState(days[0]!);
  const [to, setTo] = useState<number[]>([]);
  const [done, setDone] = useState('');
  const source = days.includes(from) ? from : days[0]!;
  const WEEKDAYS = weekdays();
  return (
    <fieldset class="stack">
      <legend>{t('availability.copy.title')}</legend>
      <div class="field">
        <label for="copy-from">{t('availability.copy.from')}</label>
        <select id="copy-from" onChange={(e) => setFrom(Number((e.target as HTMLSelectElement).value))}>
          {days.map((d) => (
            <option key={d} value={d} selected={d === source}>
              {WEEKDAYS[d - 1]}
            </option>
          ))}
        </select>
      </div>
      <div class="actions" role="group" aria-label={t('availability.copy.to')}>
        {WEEKDAYS.map((w, n) =>
          n + 1 === source ? null : (
            <label key={w}>
              <input
                type="checkbox"
                checked={to.includes(n + 1)}
                onChange={(e) => setTo((ds) => ((e.target as HTMLInputElement).checked ? [...ds, n + 1] : ds.filter((d) => d !== n + 1)))}
              />{' '}
              {w}
            </label>
          ),
        )}
        <button type="button" class="secondary" onClick={() => setTo([1, 2, 3, 4, 5].filter((d) => d !== source))}>
          {t('availability.copy.weekdays')}
        </button>
      </div>
      <button
        type="button"
        class="secondary"
        disabled={to.length === 0}
        onClick={() => {
          onCopy(copyDay(rules, source, to));
          setDone(t('availability.copy.done', { from: WEEKDAYS[source - 1], to: to.map((d) => WEEKDAYS[d - 1]).join(', ') }));
          setTo([]);
        }}
      >
        {t('availability.copy.submit')}
      </button>
      <p role="status">{done}</p>
    </fieldset>
  );
}

function TimeOff({ onChange }: { onChange: () => void }) {
  const list = useList('/api/v1/doctors/me/time-off', { params: { query: { limit: 100 } } });
  const act = useAction();
  return (
    <section aria-labelledby="off-h">
      <h2 id="off-h">{t('timeOff.title')}</h2>
      <ProblemBanner problem={act.problem} />
      <form
        class="stack"
        onSubmit={async (e) => {
          const v = formValues(e);
          const body = {
            startsAt: v.startsAt ? new Date(v.startsAt).toISOString() : '',
            endsAt: v.endsAt ? new Date(v.endsAt).toISOString() : '',
            ...(v.reason ? { reason: v.reason } : {}),
          };
          if ((await act.run(() => api.POST('/api/v1/doctors/me/time-off', { body }))).ok) {
            (e.target as HTMLFormElement).reset();
            list.reload();
            onChange();
          }
        }}
      >
        <Field label={t('timeOff.from')} name="startsAt" type="datetime-local" required problem={act.problem} />
        <Field label={t('timeOff.until')} name="endsAt" type="datetime-local" required problem={act.problem} />
        <Field label={t('timeOff.reason')} name="reason" problem={act.problem} />
        <button type="submit" disabled={act.busy}>
          {t('timeOff.add')}
        </button>
      </form>
      <Loading loaded={list}>
        {() =>
          list.items.length === 0 ? (
            <p>{t('timeOff.none')}</p>
          ) : (
            <ul>
              {list.items.map((o) => (
                <li key={o.id}>
                  <When iso={o.startsAt} /> – <When iso={o.endsAt} />
                  {o.reason ? ` (${o.reason})` : ''}{' '}
                  <button
                    type="button"
                    class="link"
                    onClick={async () => {
                      if (
                        (
                          await act.run(() =>
                            api.DELETE('/api/v1/doctors/me/time-off/{timeOffId}', { params: { path: { timeOffId: o.id } } }),
                          )
                        ).ok
                      ) {
                        list.reload();
                        onChange();
                      }
                    }}
                  >
                    {t('timeOff.remove')}
                  </button>
                </li>
              ))}
            </ul>
          )
        }
      </Loading>
      <ListEnd list={list} />
    </section>
  );
}
