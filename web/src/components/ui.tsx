// Small shared pieces: a form field with its error, the problem banner, dates in the user's zone.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { asProblem, type Problem } from '../api/client';
import { useQuery } from '@tanstack/preact-query';
import { displayZone, intlTag, t } from '../i18n';
import { clinicName } from '../clinic';
import type { Loaded, PagedList } from '../query';

/** Errors of one field, from a problem's `errors` (path `/name` or `/items/0/name`). */
export function fieldErrors(problem: Problem | null, name: string): string[] {
  return (problem?.errors ?? []).filter((e) => e.path.replace(/^\//, '') === name).map((e) => e.message);
}

type FieldProps = {
  label: string;
  name: string;
  problem?: Problem | null;
  hint?: string;
  multiline?: boolean;
  options?: Array<[string, string]>;
  type?: string;
  value?: string | number;
  required?: boolean;
  autoComplete?: string;
  min?: string | number;
  max?: string | number;
  step?: string | number;
  onInput?: (e: Event) => void;
  onChange?: (e: Event) => void;
};

export function Field({ label, name, problem = null, hint, multiline, options, ...input }: FieldProps) {
  const id = `f-${name}`;
  const errors = fieldErrors(problem, name);
  const describedBy = [hint ? `${id}-hint` : '', errors.length ? `${id}-err` : ''].filter(Boolean).join(' ') || undefined;
  const common = { id, name, 'aria-invalid': errors.length ? true : undefined, 'aria-describedby': describedBy } as const;
  // Without onInput a field is uncontrolled: `value` is only its starting value, so a re-render of the
  // form (busy flag, problem) never wipes what the person typed.
  const { value, onInput, ...rest } = input;
  const valueProps = onInput ? { value, onInput } : { defaultValue: value };
  return (
    <div class={`field${errors.length ? ' invalid' : ''}`}>
      <label for={id}>{label}</label>
      {options ? (
        <select {...common} required={input.required} onChange={input.onChange}>
          {options.map(([v, l]) => (
            <option value={v} key={v} selected={v === value}>
              {l}
            </option>
          ))}
        </select>
      ) : multiline ? (
        <textarea {...common} rows={5} required={input.required} {...(valueProps as object)} />
      ) : (
        <input {...common} {...(rest as object)} {...(valueProps as object)} />
      )}
      {hint && <small id={`${id}-hint`}>{hint}</small>}
      {errors.length > 0 && (
        <p class="error" id={`${id}-err`}>
          {errors.join('; ')}
        </p>
      )}
    </div>
  );
}

/**
 * The API's own words for a problem; field errors are shown beside their fields too. They are the server's text:
 * the title in the language the client asked for (the portal's), the detail and field messages English (marked
 * `lang="en"` for screen readers); all marked `data-server-text` so the pseudo-locale journey can tell them from
 * the portal's own.
 */
export function ProblemBanner({ problem }: { problem: Problem | null }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current?.focus(), [problem]);
  if (!problem) return null;
  return (
    <div class="banner error" role="alert" tabIndex={-1} ref={ref} data-server-text>
      <strong>{problem.title}</strong>
      {/* The portal writes a network failure's detail itself, in its own language. */}
      {problem.detail && <span lang={problem.code === 'NETWORK' ? undefined : 'en'}> — {problem.detail}</span>}
      {problem.errors && problem.errors.length > 0 && (
        <ul lang="en">
          {problem.errors.map((e) => (
            <li key={e.path}>
              {e.path.replace(/^\//, '') || 'request'}: {e.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Notice({ children, kind = 'info' }: { children: ComponentChildren; kind?: 'info' | 'success' | 'warning' }) {
  return (
    <div class={`banner ${kind}`} role="status">
      {children}
    </div>
  );
}

// The account's zone once signed in (i18n.ts displayZone), else the browser's.
const userZone = () => displayZone();
export const localZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

const ZONES = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
/**
 * A time-zone picker's options: this device's zone first and named as such, then the current value, then every IANA
 * zone. Browsers leave UTC (and aliases) out of their list, so a select whose value is missing would silently show
 * its first option (Africa/Abidjan) instead: the device's and the current zone are always offered.
 */
export function zoneOptions(current?: string): Array<[string, string]> {
  const device = localZone();
  const out: Array<[string, string]> = [[device, t('zone.device', { zone: device })]];
  if (current && current !== device) out.push([current, current]);
  for (const z of ZONES.includes('UTC') ? ZONES : ['UTC', ...ZONES]) if (z !== device && z !== current) out.push([z, z]);
  return out;
}

/** Whether the options show a time of day (not a date alone): a time means nothing without its zone. */
const showsTime = (o: Intl.DateTimeFormatOptions) =>
  o.timeStyle !== undefined || o.hour !== undefined || o.minute !== undefined || o.second !== undefined;

/**
 * An instant in the portal's language and the account's zone (else the browser's). A time of day carries its zone,
 * "8 Dec 2026, 09:30 (Europe/Berlin)", unless the options name it already (`timeZoneName`) or `named` is false for a
 * time whose zone the same sentence names (the first of a span, a grid under a caption naming the zone).
 */
export function formatDateTime(
  iso: string,
  timeZone = userZone(),
  opts: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short' },
  named = true,
) {
  const text = new Intl.DateTimeFormat(intlTag(), { ...opts, timeZone }).format(new Date(iso));
  return named && showsTime(opts) && !opts.timeZoneName ? `${text} (${timeZone})` : text;
}

/** "8 Dec 2026, 09:30–10:00 (Europe/Berlin)": a span, its zone named once. */
export function formatSpan(startIso: string, endIso: string, timeZone = userZone()) {
  const f = new Intl.DateTimeFormat(intlTag(), { dateStyle: 'medium', timeStyle: 'short', timeZone });
  return `${f.formatRange(new Date(startIso), new Date(endIso))} (${timeZone})`;
}

export function When({ iso, zone }: { iso: string | null | undefined; zone?: string }) {
  if (!iso) return <span>—</span>;
  return <time dateTime={iso}>{formatDateTime(iso, zone)}</time>;
}

export type { Loaded, PagedList } from '../query';

/** A loader that is more than one GET of one path (several calls, a computed answer), cached under `key` like every
 * other query: `key` names what `fn` fetches, with every value it depends on. Plain GETs use useGet/useList. */
export function useLoad<T>(
  key: readonly unknown[],
  fn: () => Promise<{ data?: T; error?: unknown }>,
  /** `live: false`: fetched once per mount and never refetched behind the screen's back (a call holding credentials). */
  opts: { live?: boolean } = {},
): Loaded<T> {
  const q = useQuery({
    queryKey: key,
    ...(opts.live === false ? { staleTime: Infinity, refetchOnWindowFocus: false, gcTime: 0, meta: { live: false } } : {}),
    queryFn: async () => {
      const r = await fn();
      if (r.error !== undefined || r.data === undefined) throw asProblem(r.error);
      return r.data;
    },
  });
  return { data: q.data, problem: q.error, loading: q.isFetching, reload: () => void q.refetch() };
}

/** The end of a paged list: "Load more" while the API has another page, then how many were shown. */
export function ListEnd({ list }: { list: PagedList<unknown> }) {
  return (
    <>
      {list.problem && list.items.length > 0 && <ProblemBanner problem={list.problem} />}
      <p role="status">{!list.loading && !list.hasMore && list.items.length > 0 ? t('list.allShown', { count: list.items.length }) : ''}</p>
      {list.hasMore && (
        <button type="button" class="secondary" disabled={list.busy} onClick={list.loadMore}>
          {t('list.loadMore')}
        </button>
      )}
    </>
  );
}

/** Runs an action, keeping its problem for display; answers true on success. */
export function useAction() {
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async <T,>(fn: () => Promise<{ data?: T; error?: unknown; response: Response }>): Promise<{ ok: boolean; data?: T }> => {
    setBusy(true);
    setProblem(null);
    try {
      const r = await fn();
      if (r.response.ok) return { ok: true, data: r.data };
      setProblem(asProblem(r.error));
      return { ok: false };
    } catch (e) {
      setProblem(asProblem(e));
      return { ok: false };
    } finally {
      setBusy(false);
    }
  };
  return { problem, setProblem, busy, run };
}

export function Loading({ loaded, children }: { loaded: Loaded<unknown> | PagedList<unknown>; children: () => ComponentChildren }) {
  if ('items' in loaded) {
    if (loaded.problem && loaded.items.length === 0) return <ProblemBanner problem={loaded.problem} />;
    if (loaded.loading) return <p aria-busy="true">{t('shell.loading')}</p>;
    return <>{children()}</>;
  }
  if (loaded.problem) return <ProblemBanner problem={loaded.problem} />;
  if (loaded.data === undefined) return <p aria-busy="true">{t('shell.loading')}</p>;
  return <>{children()}</>;
}

/** Form values as strings, empty fields left out. */
export function formValues(e: Event): Record<string, string> {
  e.preventDefault();
  const out: Record<string, string> = {};
  for (const [k, v] of new FormData(e.currentTarget as HTMLFormElement)) if (typeof v === 'string' && v !== '') out[k] = v;
  return out;
}

export function Page({ title, children }: { title: string; children: ComponentChildren }) {
  useEffect(() => {
    document.title = `${title} · ${clinicName()}`;
  }, [title]);
  return (
    <>
      <h1 tabIndex={-1}>{title}</h1>
      {children}
    </>
  );
}
