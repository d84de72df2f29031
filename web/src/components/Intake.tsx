// The intake form of one appointment (issue 27): the patient fills it in (saved as they go, submitted once;
// earlier answers to the same question filled in), the doctor reads the answers. One renderer for the six
// item types, usable at 390 px and by keyboard alone: native controls, each with its label, its hint and its
// error tied to it by aria-describedby.
import { useState } from 'preact/hooks';
import { api, type Problem } from '../api/client';
import { Field, formValues, Loading, Notice, ProblemBanner, useAction, useLoad, When } from './ui';
import { SubstanceField } from './ClinicalRecord';
import { t } from '../i18n';

type Coded = { system?: string; code?: string; display: string };

type IntakeBody = NonNullable<Awaited<ReturnType<typeof load>>['data']>;
type Item = IntakeBody['questionnaire']['items'][number];
type Value = string | number | boolean;

const load = (id: string) => api.GET('/api/v1/appointments/{id}/intake', { params: { path: { id } } });

/** The answers as the form holds them: integers as typed text until saved. */
type Values = Record<string, string | boolean>;

function toValues(intake: IntakeBody): Values {
  const out: Values = {};
  for (const a of intake.response.answers) out[a.linkId] = typeof a.value === 'number' ? String(a.value) : a.value;
  return out;
}

function toAnswers(items: Item[], values: Values): { linkId: string; value: Value }[] {
  return items
    .filter((it) => values[it.linkId] !== undefined && values[it.linkId] !== '')
    .map((it) => {
      const v = values[it.linkId];
      if (it.type === 'integer' && typeof v === 'string' && /^-?\d+$/.test(v.trim())) return { linkId: it.linkId, value: Number(v) };
      return { linkId: it.linkId, value: v };
    });
}

/** Errors by linkId, from a problem whose paths name the item (`/answers/<linkId>`) or its place in the request (`/answers/<i>/…`). */
function errorsByItem(problem: Problem | null, sent: { linkId: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of problem?.errors ?? []) {
    const m = /^\/answers\/([^/]+)(\/.*)?$/.exec(e.path);
    if (!m) continue;
    const linkId = /^\d+$/.test(m[1]) && m[2] ? sent[Number(m[1])]?.linkId : m[1];
    if (linkId) out[linkId] = out[linkId] ? `${out[linkId]}; ${e.message}` : e.message;
  }
  return out;
}

export function IntakeSection({ id, patient }: { id: string; patient: boolean }) {
  const intake = useLoad(['intake', id], () => load(id));
  if (intake.problem?.status === 404)
    return patient ? null : (
      <section aria-labelledby="intake-h">
        <h2 id="intake-h">{t('intakeForm.title')}</h2>
        <p>{t('intakeForm.none')}</p>
      </section>
    );
  return (
    <section aria-labelledby="intake-h">
      <h2 id="intake-h">{t('intakeForm.title')}</h2>
      <Loading loaded={intake}>
        {() => {
          const data = intake.data!;
          if (!patient || data.response.status === 'completed')
            return <Answers id={id} intake={data} doctor={!patient} onCopied={intake.reload} />;
          return <IntakeForm id={id} intake={data} onSubmitted={intake.reload} />;
        }}
      </Loading>
    </section>
  );
}

function show(item: Item, v: Value | undefined): string {
  if (v === undefined) return '—';
  if (item.type === 'boolean') return v ? t('intakeForm.yes') : t('intakeForm.no');
  return String(v);
}

function Answers({ id, intake, doctor, onCopied }: { id: string; intake: IntakeBody; doctor: boolean; onCopied: () => void }) {
  const byId = new Map(intake.response.answers.map((a) => [a.linkId, a.value]));
  const [open, setOpen] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  // Copying is the doctor's explicit act, answer by answer, once the patient has submitted the form.
  const copyable = doctor && intake.response.status === 'completed';
  return (
    <>
      <p>
        {t('intakeForm.version', { title: intake.questionnaire.title, version: intake.questionnaire.version })}{' '}
        {intake.response.status === 'completed' ? (
          <>
            {t('intakeForm.submitted')} <When iso={intake.response.submittedAt} />
          </>
        ) : (
          t('intakeForm.inProgress')
        )}
      </p>
      {done && <Notice kind="success">{done}</Notice>}
      <dl class="intake-answers">
        {intake.questionnaire.items.map((it) => {
          const value = byId.get(it.linkId);
          const copies = intake.copies.filter((c) => c.linkId === it.linkId);
          return (
            <div key={it.linkId}>
              <dt>{it.text}</dt>
              <dd>
                {show(it, value)}
                {copies.map((c) => (
                  <span key={c.entryId} class="badge">
                    {' '}
                    {t('intake.copy.inRecord', { kind: c.into })}
                  </span>
                ))}
                {copyable && value !== undefined && open !== it.linkId && (
                  <>
                    {' '}
                    <button
                      type="button"
                      class="secondary"
                      aria-label={t('intake.copy.buttonFor', { question: it.text })}
                      onClick={() => {
                        setDone(null);
                        setOpen(it.linkId);
                      }}
                    >
                      {t('intake.copy.button')}
                    </button>
                  </>
                )}
                {open === it.linkId && (
                  <CopyForm
                    id={id}
                    item={it}
                    value={value}
                    taken={copies.map((c) => c.into)}
                    onClose={() => setOpen(null)}
                    onCopied={(kind) => {
                      setOpen(null);
                      setDone(t('intake.copy.done', { kind }));
                      onCopied();
                    }}
                  />
                )}
              </dd>
            </div>
          );
        })}
      </dl>
    </>
  );
}

type CopyKind = 'allergy' | 'medication' | 'problem';

/** One answer into the record: the doctor picks the list and (from the terminology) the coded substance. */
function CopyForm({
  id,
  item,
  value,
  taken,
  onClose,
  onCopied,
}: {
  id: string;
  item: Item;
  value: Value | undefined;
  taken: CopyKind[];
  onClose: () => void;
  onCopied: (kind: CopyKind) => void;
}) {
  const kinds = (['allergy', 'medication', 'problem'] as const).filter((k) => !taken.includes(k));
  const [kind, setKind] = useState<CopyKind>(kinds[0] ?? 'problem');
  const [coded, setCoded] = useState<Coded | null>(null);
  const act = useAction();
  const answer = typeof value === 'string' ? value : '';
  const submit = async (e: Event) => {
    const v = formValues(e);
    const path = { params: { path: { id, linkId: item.linkId } } };
    const body =
      kind === 'allergy'
        ? {
            into: 'allergy' as const,
            ...(coded ? { substance: coded } : {}),
            category: (v.category ?? 'medication') as 'medication',
            criticality: (v.criticality ?? 'high') as 'high',
          }
        : kind === 'medication'
          ? { into: 'medication' as const, ...(coded ? { medication: coded } : {}) }
          : { into: 'problem' as const, ...(v.condition ? { condition: { display: v.condition } } : {}) };
    const r = await act.run(() => api.POST('/api/v1/appointments/{id}/intake/answers/{linkId}/copy', { ...path, body }));
    if (r.ok) onCopied(kind);
  };
  return (
    <form class="stack copy-form" aria-label={t('intake.copy.title', { question: item.text })} onSubmit={submit}>
      <ProblemBanner problem={act.problem} />
      <Field
        label={t('intake.copy.as')}
        name="copy-kind"
        options={kinds.map((k) => [k, t('intake.copy.kind', { kind: k })])}
        value={kind}
        onChange={(e: Event) => setKind((e.currentTarget as HTMLSelectElement).value as CopyKind)}
      />
      {kind === 'problem' ? (
        <Field label={t('intake.copy.condition')} name="condition" value={answer} problem={act.problem} />
      ) : (
        <SubstanceField
          key={kind}
          name="copy-substance"
          label={kind === 'allergy' ? t('intake.copy.substance') : t('intake.copy.medication')}
          initial={answer}
          onPick={setCoded}
        />
      )}
      {kind === 'allergy' && (
        <>
          <Field
            label={t('intake.copy.category')}
            name="category"
            options={[
              ['medication', t('intake.copy.category.medication')],
              ['food', t('intake.copy.category.food')],
              ['environment', t('intake.copy.category.environment')],
              ['other', t('intake.copy.category.other')],
            ]}
            value="medication"
          />
          <Field
            label={t('intake.copy.criticality')}
            name="criticality"
            options={[
              ['high', t('intake.copy.criticality.high')],
              ['low', t('intake.copy.criticality.low')],
              ['unable-to-assess', t('intake.copy.criticality.unknown')],
            ]}
            value="high"
          />
        </>
      )}
      <div class="actions">
        <button type="submit" disabled={act.busy}>
          {t('intake.copy.submit')}
        </button>
        <button type="button" class="secondary" onClick={onClose}>
          {t('intake.copy.cancel')}
        </button>
      </div>
    </form>
  );
}

function IntakeForm({ id, intake, onSubmitted }: { id: string; intake: IntakeBody; onSubmitted: () => void }) {
  const items = intake.questionnaire.items;
  const [values, setValues] = useState<Values>(() => toValues(intake));
  const [sent, setSent] = useState<{ linkId: string }[]>([]);
  const [saved, setSaved] = useState<string | null>(null);
  const action = useAction();
  const errors = errorsByItem(action.problem, sent);
  const set = (linkId: string, v: string | boolean) => {
    setSaved(null);
    setValues((old) => ({ ...old, [linkId]: v }));
  };
  const save = async () => {
    const answers = toAnswers(items, values);
    setSent(answers);
    const r = await action.run(() => api.PUT('/api/v1/appointments/{id}/intake', { params: { path: { id } }, body: { answers } }));
    if (r.ok) setSaved(t('intakeForm.saved'));
    return r.ok;
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!(await save())) return;
    setSent([]);
    const r = await action.run(() => api.POST('/api/v1/appointments/{id}/intake/submit', { params: { path: { id } } }));
    if (r.ok) onSubmitted();
  };
  return (
    <form onSubmit={submit} noValidate class="intake-form">
      <p>
        {t('intakeForm.intro', { title: intake.questionnaire.title })}
        {intake.response.prefilled.length > 0 && ` ${t('intakeForm.prefilled')}`}
      </p>
      <ProblemBanner problem={action.problem} />
      {items.map((it) => (
        <ItemField key={it.linkId} item={it} value={values[it.linkId]} error={errors[it.linkId]} onChange={(v) => set(it.linkId, v)} />
      ))}
      {saved && <Notice kind="success">{saved}</Notice>}
      <div class="actions">
        <button type="button" class="secondary" disabled={action.busy} onClick={() => void save()}>
          {t('intakeForm.save')}
        </button>
        <button type="submit" disabled={action.busy}>
          {t('intakeForm.submit')}
        </button>
      </div>
    </form>
  );
}

export function ItemField({
  item,
  value,
  error,
  onChange,
}: {
  item: Item;
  value: string | boolean | undefined;
  error?: string;
  onChange: (v: string | boolean) => void;
}) {
  const id = `q-${item.linkId}`;
  const errId = `${id}-err`;
  const aria = {
    'aria-invalid': error ? true : undefined,
    'aria-describedby': error ? errId : undefined,
    'aria-required': item.required || undefined,
  };
  const label = (
    <>
      {item.text}
      {item.required && <span class="required"> {t('intakeForm.required')}</span>}
    </>
  );
  const err = error && (
    <p class="error" id={errId}>
      {error}
    </p>
  );
  if (item.type === 'boolean' || item.type === 'choice') {
    const options: [string, string | boolean][] =
      item.type === 'boolean'
        ? [
            [t('intakeForm.yes'), true],
            [t('intakeForm.no'), false],
          ]
        : (item.options ?? []).map((o) => [o, o]);
    return (
      <fieldset class={`field${error ? ' invalid' : ''}`} {...aria} role="radiogroup" aria-labelledby={`${id}-legend`}>
        <legend id={`${id}-legend`}>{label}</legend>
        {options.map(([text, v], i) => (
          <label key={text} class="choice">
            <input type="radio" name={id} id={`${id}-${i}`} checked={value === v} onChange={() => onChange(v)} /> {text}
          </label>
        ))}
        {err}
      </fieldset>
    );
  }
  const common = {
    id,
    name: id,
    ...aria,
    value: typeof value === 'string' ? value : '',
    onInput: (e: Event) => onChange((e.currentTarget as HTMLInputElement).value),
  };
  return (
    <div class={`field${error ? ' invalid' : ''}`}>
      <label for={id}>{label}</label>
      {item.type === 'text' ? (
        <textarea {...common} rows={4} />
      ) : item.type === 'date' ? (
        <input type="date" {...common} />
      ) : item.type === 'integer' ? (
        <input type="text" inputMode="numeric" pattern="-?[0-9]*" {...common} />
      ) : (
        <input type="text" {...common} />
      )}
      {err}
    </div>
  );
}
