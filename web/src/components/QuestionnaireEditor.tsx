// The doctor's intake questionnaires (issue 27): a simple list editor. Saving an existing one makes a new
// version (intakes already started keep theirs); one of them is the default for new intakes.
import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { Loading, Notice, ProblemBanner, useAction, useLoad } from './ui';

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
  ['string', 'Short text'],
  ['text', 'Long text'],
  ['boolean', 'Yes / no'],
  ['choice', 'One of several options'],
  ['date', 'Date'],
  ['integer', 'Whole number'],
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
      <h2 id="questionnaires-h">Intake questionnaires</h2>
      <ProblemBanner problem={action.problem} />
      <Loading loaded={qs}>
        {() => (
          <>
            {qs.data!.length === 0 && <p>No questionnaire yet.</p>}
            <ul class="stack" aria-label="Your questionnaires">
              {qs.data!.map((q) => (
                <li key={q.id}>
                  <strong>{q.title}</strong> · version {q.version} · {q.items.length} items
                  {q.id === defaultId && <span class="badge"> default</span>}
                  <div class="actions">
                    <button type="button" class="secondary" onClick={() => setEditing(q)}>
                      Edit {q.title}
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
                        Use {q.title} for new appointments
                      </button>
                    )}
                  </div>
                </li>
              ))}
            </ul>
            {editing === null ? (
              <button type="button" onClick={() => setEditing('new')}>
                New questionnaire
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
    <form onSubmit={save} class="stack questionnaire-editor" aria-label={q ? `Edit ${q.title}` : 'New questionnaire'}>
      <h3>{q ? `${q.title}: new version` : 'New questionnaire'}</h3>
      <ProblemBanner problem={action.problem} />
      {saved && <Notice kind="success">Saved.</Notice>}
      <div class="field">
        <label for="qe-title">Title</label>
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
                <legend>Item {n}</legend>
                <div class="field">
                  <label for={`qe-${i}-text`}>Question {n}</label>
                  <input
                    id={`qe-${i}-text`}
                    value={it.text}
                    aria-describedby={described('text')}
                    onInput={(e) => setItem(i, { text: (e.currentTarget as HTMLInputElement).value })}
                  />
                  {errorOf('text')}
                </div>
                <div class="field">
                  <label for={`qe-${i}-linkId`}>Key of question {n}</label>
                  <input
                    id={`qe-${i}-linkId`}
                    value={it.linkId}
                    aria-describedby={described('linkId')}
                    onInput={(e) => setItem(i, { linkId: (e.currentTarget as HTMLInputElement).value })}
                  />
                  {errorOf('linkId')}
                </div>
                <div class="field">
                  <label for={`qe-${i}-type`}>Answer type of question {n}</label>
                  <select
                    id={`qe-${i}-type`}
                    onChange={(e) => setItem(i, { type: (e.currentTarget as HTMLSelectElement).value as ItemType })}
                  >
                    {TYPES.map(([v, l]) => (
                      <option key={v} value={v} selected={v === it.type}>
                        {l}
                      </option>
                    ))}
                  </select>
                </div>
                {it.type === 'choice' && (
                  <div class="field">
                    <label for={`qe-${i}-options`}>Options of question {n} (one per line)</label>
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
                  Question {n} is required
                </label>
                <div class="actions">
                  <button type="button" class="secondary" disabled={i === 0} onClick={() => move(i, -1)}>
                    Move question {n} up
                  </button>
                  <button type="button" class="secondary" disabled={i === draft.items.length - 1} onClick={() => move(i, 1)}>
                    Move question {n} down
                  </button>
                  <button type="button" class="secondary" onClick={() => remove(i)}>
                    Remove question {n}
                  </button>
                </div>
              </fieldset>
            </li>
          );
        })}
      </ol>
      <div class="actions">
        <button type="button" class="secondary" onClick={add} disabled={draft.items.length >= 100}>
          Add a question
        </button>
        <button type="submit" disabled={action.busy}>
          Save questionnaire
        </button>
        <button type="button" class="secondary" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
