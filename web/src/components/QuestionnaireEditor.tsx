// The doctor's intake questionnaires (issue 27): a simple list editor. Saving an existing one makes a new
// version (intakes already started keep theirs); one of them is the default for new intakes.
import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { Loading, Notice, ProblemBanner, useAction, useLoad } from './ui';
import { t } from '../i18n';

type Questionnaire = NonNullable<Awaited<ReturnType<typeof list>>['data']>[number];
type ItemType = 'string' | 'text' | 'boolean' | 'choice' | 'date' | 'integer';
interface Draft {
  linkId: string;
  text: string;
  type: ItemType;
  required: boolean;
  options: string;
}

const list = () => api.GET('/api/v1/doctors/me/questionnaires');
const TYPES: [ItemType, string][] = [
  ['string', 'questionnaire.type.string'],
  ['text', 'questionnaire.type.text'],
  ['boolean', 'questionnaire.type.boolean'],
  ['choice', 'questionnaire.type.choice'],
  ['date', 'questionnaire.type.date'],
  ['integer', 'questionnaire.type.integer'],
];

const toDraft = (q: Questionnaire | null): { title: string; items: Draft[] } => ({
  title: q?.title ?? '',
  items: (q?.items ?? []).map((it) => ({ ...it, type: it.type as ItemType, options: (it.options ?? []).join('\n') })),
});

export function QuestionnaireEditor({ defaultId, onDefault }: { defaultId: string | null; onDefault: () => void }) {
  const qs = useLoad(['questionnaires'], list);
  const [editing, setEditing] = useState<Questionnaire | null | 'new'>(null);
  const action = useAction();
  return (
    <section aria-labelledby="questionnaires-h">
      <h2 id="questionnaires-h">{t('questionnaire.title')}</h2>
      <ProblemBanner problem={action.problem} />
      <Loading loaded={qs}>
        {() => (
          <>
            {qs.data!.length === 0 && <p>{t('questionnaire.none')}</p>}
            <ul class="stack" aria-label={t('questionnaire.yours')}>
              {qs.data!.map((q) => (
                <li key={q.id}>
                  <strong>{q.title}</strong> · {t('questionnaire.summary', { version: q.version, n: q.items.length })}
                  {q.id === defaultId && <span class="badge"> {t('questionnaire.default')}</span>}
                  <div class="actions">
                    <button type="button" class="secondary" onClick={() => setEditing(q)}>
                      {t('questionnaire.edit', { title: q.title })}
                    </button>
                    {q.id !== defaultId && (
                      <button
                        type="button"
                        class="secondary"
                        onClick={async () => {
                          const r = await action.run(() => api.PATCH('/api/v1/doctors/me', { body: { intakeQuestionnaireId: q.id } }));
                          if (r.ok) onDefault();
                        }}
                      >
                        {t('questionnaire.use', { title: q.title })}
                      </button>
                    )}
                  </div>
                </li>
              ))}
            </ul>
            {editing === null ? (
              <button type="button" onClick={() => setEditing('new')}>
                {t('questionnaire.new')}
              </button>
            ) : (
              <Editor
                key={editing === 'new' ? 'new' : editing.id}
                q={editing === 'new' ? null : editing}
                onDone={() => {
                  setEditing(null);
                  qs.reload();
                }}
              />
            )}
          </>
        )}
      </Loading>
    </section>
  );
}

function Editor({ q, onDone }: { q: Questionnaire | null; onDone: () => void }) {
  const [draft, setDraft] = useState(() => toDraft(q));
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const setItem = (i: number, patch: Partial<Draft>) =>
    setDraft((d) => ({ ...d, items: d.items.map((it, j) => (j === i ? { ...it, ...patch } : it)) }));
  const add = () =>
    setDraft((d) => ({
      ...d,
      items: [...d.items, { linkId: `q${d.items.length + 1}`, text: '', type: 'string', required: false, options: '' }],
    }));
  const remove = (i: number) => setDraft((d) => ({ ...d, items: d.items.filter((_, j) => j !== i) }));
  const move = (i: number, by: number) =>
    setDraft((d) => {
      const items = [...d.items];
      const [it] = items.splice(i, 1);
      items.splice(Math.max(0, Math.min(items.length, i + by)), 0, it);
      return { ...d, items };
    });
  const save = async (e: Event) => {
    e.preventDefault();
    const body = {
      title: draft.title,
      items: draft.items.map((it) => ({
        linkId: it.linkId,
        text: it.text,
        type: it.type,
        required: it.required,
        ...(it.type === 'choice'
          ? {
              options: it.options
                .split('\n')
                .map((o) => o.trim())
                .filter(Boolean),
            }
          : {}),
      })),
    };
    const r = await action.run(() =>
      q
        ? api.PUT('/api/v1/doctors/me/questionnaires/{id}', { params: { path: { id: q.id } }, body })
        : api.POST('/api/v1/doctors/me/questionnaires', { body }),
    );
    if (r.ok) {
      setSaved(true);
      onDone();
    }
  };
  const err = (i: number, field: string) =>
    (action.problem?.errors ?? [])
      .filter((e) => e.path === `/items/${i}/${field}` || (field === '' && e.path === `/items/${i}`))
      .map((e) => e.message);
  return (
    <form
      onSubmit={save}
      class="stack questionnaire-editor"
      aria-label={q ? t('questionnaire.edit', { title: q.title }) : t('questionnaire.new')}
    >
      <h3>{q ? t('questionnaire.newVersion', { title: q.title }) : t('questionnaire.new')}</h3>
      <ProblemBanner problem={action.problem} />
      {saved && <Notice kind="success">{t('doctorSettings.saved')}</Notice>}
      <div class="field">
        <label for="qe-title">{t('postEditor.titleLabel')}</label>
        <input
          id="qe-title"
          value={draft.title}
          required
          onInput={(e) => setDraft((d) => ({ ...d, title: (e.currentTarget as HTMLInputElement).value }))}
        />
      </div>
      <ol class="stack">
        {draft.items.map((it, i) => {
          const n = i + 1;
          const described = (field: string) => (err(i, field).length ? `qe-${i}-${field}-err` : undefined);
          const errorOf = (field: string) =>
            err(i, field).length > 0 && (
              <p class="error" id={`qe-${i}-${field}-err`}>
                {err(i, field).join('; ')}
              </p>
            );
          return (
            <li key={i}>
              <fieldset>
                <legend>{t('questionnaire.item', { n })}</legend>
                <div class="field">
                  <label for={`qe-${i}-text`}>{t('questionnaire.question', { n })}</label>
                  <input
                    id={`qe-${i}-text`}
                    value={it.text}
                    aria-describedby={described('text')}
                    onInput={(e) => setItem(i, { text: (e.currentTarget as HTMLInputElement).value })}
                  />
                  {errorOf('text')}
                </div>
                <div class="field">
                  <label for={`qe-${i}-linkId`}>{t('questionnaire.key', { n })}</label>
                  <input
                    id={`qe-${i}-linkId`}
                    value={it.linkId}
                    aria-describedby={described('linkId')}
                    onInput={(e) => setItem(i, { linkId: (e.currentTarget as HTMLInputElement).value })}
                  />
                  {errorOf('linkId')}
                </div>
                <div class="field">
                  <label for={`qe-${i}-type`}>{t('questionnaire.answerType', { n })}</label>
                  <select
                    id={`qe-${i}-type`}
                    onChange={(e) => setItem(i, { type: (e.currentTarget as HTMLSelectElement).value as ItemType })}
                  >
                    {TYPES.map(([v, l]) => (
                      <option key={v} value={v} selected={v === it.type}>
                        {t(l)}
                      </option>
                    ))}
                  </select>
                </div>
                {it.type === 'choice' && (
                  <div class="field">
                    <label for={`qe-${i}-options`}>{t('questionnaire.options', { n })}</label>
                    <textarea
                      id={`qe-${i}-options`}
                      rows={3}
                      value={it.options}
                      aria-describedby={described('options')}
                      onInput={(e) => setItem(i, { options: (e.currentTarget as HTMLTextAreaElement).value })}
                    />
                    {errorOf('options')}
                  </div>
                )}
                <label class="choice">
                  <input
                    type="checkbox"
                    checked={it.required}
                    onChange={(e) => setItem(i, { required: (e.currentTarget as HTMLInputElement).checked })}
                  />{' '}
                  {t('questionnaire.required', { n })}
                </label>
                <div class="actions">
                  <button type="button" class="secondary" disabled={i === 0} onClick={() => move(i, -1)}>
                    {t('questionnaire.up', { n })}
                  </button>
                  <button type="button" class="secondary" disabled={i === draft.items.length - 1} onClick={() => move(i, 1)}>
                    {t('questionnaire.down', { n })}
                  </button>
                  <button type="button" class="secondary" onClick={() => remove(i)}>
                    {t('questionnaire.remove', { n })}
                  </button>
                </div>
              </fieldset>
            </li>
          );
        })}
      </ol>
      <div class="actions">
        <button type="button" class="secondary" onClick={add} disabled={draft.items.length >= 100}>
          {t('questionnaire.add')}
        </button>
        <button type="submit" disabled={action.busy}>
          {t('questionnaire.save')}
        </button>
        <button type="button" class="secondary" onClick={onDone}>
          {t('agenda.cancel')}
        </button>
      </div>
    </form>
  );
}
