// Small shared pieces: a form field with its error, the problem banner, dates in the user's zone.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { asProblem, type Problem } from '../api/client';
import { displayZone, intlTag } from '../i18n';
import { clinicName } from '../clinic';

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

/** The API's own words for a problem; field errors are shown beside their fields too. */
export function ProblemBanner({ problem }: { problem: Problem | null }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current?.focus(), [problem]);
  if (!problem) return null;
  return (
    <div class="banner error" role="alert" tabIndex={-1} ref={ref}>
      <strong>{problem.title}</strong>
      {problem.detail && <span> — {problem.detail}</span>}
      {problem.errors && problem.errors.length > 0 && (
        <ul>
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

export function formatDateTime(
  iso: string,
  timeZone = userZone(),
  opts: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short' },
) {
  return new Intl.DateTimeFormat(intlTag(), { ...opts, timeZone }).format(new Date(iso));
}

export function When({ iso, zone }: { iso: string | null | undefined; zone?: string }) {
  if (!iso) return <span>—</span>;
  return <time dateTime={iso}>{formatDateTime(iso, zone)}</time>;
}

export type Loaded<T> = { data: T | undefined; problem: Problem | null; loading: boolean; reload: () => void };

/** Loads what a screen shows where it renders it; `fn` answers openapi-fetch's {data, error}. */
export function useLoad<T>(fn: () => Promise<{ data?: T; error?: unknown }>, deps: unknown[] = []): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; problem: Problem | null; loading: boolean }>({
    data: undefined,
    problem: null,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    fn().then(
      (r) => live && setState({ data: r.data, problem: r.error ? asProblem(r.error) : null, loading: false }),
      (e) => live && setState({ data: undefined, problem: asProblem(e), loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
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

export function Loading({ loaded, children }: { loaded: Loaded<unknown>; children: () => ComponentChildren }) {
  if (loaded.problem) return <ProblemBanner problem={loaded.problem} />;
  if (loaded.data === undefined) return <p aria-busy="true">Loading…</p>;
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
