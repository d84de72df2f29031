// Weekly availability in the doctor's own zone, with a live preview of the slots the draft produces
// (pure arithmetic on local HH:MM, as the server generates them) and the real next free slots once saved.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api/client';
import { Field, formatDateTime, formValues, ListEnd, Loading, Notice, Page, ProblemBanner, useAction, When } from '../../components/ui';
import { useSession } from '../../app';
import { invalidate, useGet, useList } from '../../query';

type Rule = { weekday: number; start: string; end: string };
const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
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
  return (
    <Page title="Weekly availability">
      <Loading loaded={current}>
        {() => (
          <>
            <p>
              Times are in your time zone, <strong>{current.data!.timezone}</strong>; {slotMinutes}-minute visits (change both in{' '}
              <a href="/doctor/settings">settings</a>).
            </p>
            {saved && <Notice kind="success">Availability saved.</Notice>}
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
                  <legend>Period {i + 1}</legend>
                  <div class="field">
                    <label for={`wd-${i}`}>Day</label>
                    <select id={`wd-${i}`} onChange={(e) => update(i, { weekday: Number((e.target as HTMLSelectElement).value) })}>
                      {WEEKDAYS.map((w, n) => (
                        <option key={w} value={n + 1} selected={r.weekday === n + 1}>
                          {w}
                        </option>
                      ))}
                    </select>
                  </div>
                  <div class="field">
                    <label for={`st-${i}`}>From</label>
                    <input
                      id={`st-${i}`}
                      type="time"
                      value={r.start}
                      onInput={(e) => update(i, { start: (e.target as HTMLInputElement).value })}
                    />
                  </div>
                  <div class="field">
                    <label for={`en-${i}`}>Until</label>
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
                    aria-label={`Remove period ${i + 1}`}
                    onClick={() => setRules((rs) => rs!.filter((_, n) => n !== i))}
                  >
                    Remove
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
                  Add a period
                </button>
                <button type="submit" disabled={save.busy}>
                  Save availability
                </button>
              </div>
            </form>
            <section aria-labelledby="preview-h">
              <h2 id="preview-h">Preview of your weekly slots</h2>
              {preview.size === 0 ? (
                <p>No slots: add a period.</p>
              ) : (
                <div class="week">
                  {[...preview]
                    .sort(([a], [b]) => a - b)
                    .map(([wd, times]) => (
                      <div class="card" key={wd}>
                        <h3>{WEEKDAYS[wd - 1]}</h3>
                        <p>
                          {times.length} slots, {times[0]} to {times[times.length - 1]}
                        </p>
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
        <h2 id="next-h">Next free slots patients see (7 days)</h2>
        {!verified ? (
          <p>Patients can book you once an administrator has verified your credentials.</p>
        ) : (
          <Loading loaded={upcoming}>
            {() =>
              upcoming.data!.length === 0 ? (
                <p>None yet.</p>
              ) : (
                <p>
                  {upcoming
                    .data!.slice(0, 12)
                    .map((x) => formatDateTime(x.startsAt))
                    .join(' · ')}
                  {upcoming.data!.length > 12 ? ` … (${upcoming.data!.length} in all)` : ''}
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
  return (
    <fieldset class="stack">
      <legend>Copy a day's hours</legend>
      <div class="field">
        <label for="copy-from">Copy the hours of</label>
        <select id="copy-from" onChange={(e) => setFrom(Number((e.target as HTMLSelectElement).value))}>
          {days.map((d) => (
            <option key={d} value={d} selected={d === source}>
              {WEEKDAYS[d - 1]}
            </option>
          ))}
        </select>
      </div>
      <div class="actions" role="group" aria-label="To these days">
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
          All weekdays
        </button>
      </div>
      <button
        type="button"
        class="secondary"
        disabled={to.length === 0}
        onClick={() => {
          onCopy(copyDay(rules, source, to));
          setDone(`${WEEKDAYS[source - 1]}'s hours copied to ${to.map((d) => WEEKDAYS[d - 1]).join(', ')}. Save to keep them.`);
          setTo([]);
        }}
      >
        Copy hours
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
      <h2 id="off-h">Time off</h2>
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
        <Field label="Time off from" name="startsAt" type="datetime-local" required problem={act.problem} />
        <Field label="Time off until" name="endsAt" type="datetime-local" required problem={act.problem} />
        <Field label="Reason (optional)" name="reason" problem={act.problem} />
        <button type="submit" disabled={act.busy}>
          Add time off
        </button>
      </form>
      <Loading loaded={list}>
        {() =>
          list.items.length === 0 ? (
            <p>No time off planned.</p>
          ) : (
            <ul>
              {list.items.map((t) => (
                <li key={t.id}>
                  <When iso={t.startsAt} /> – <When iso={t.endsAt} />
                  {t.reason ? ` (${t.reason})` : ''}{' '}
                  <button
                    type="button"
                    class="link"
                    onClick={async () => {
                      if (
                        (
                          await act.run(() =>
                            api.DELETE('/api/v1/doctors/me/time-off/{timeOffId}', { params: { path: { timeOffId: t.id } } }),
                          )
                        ).ok
                      ) {
                        list.reload();
                        onChange();
                      }
                    }}
                  >
                    Remove
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
