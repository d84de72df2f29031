// The clinical record of one patient: allergies, medications and problems. A treating doctor adds entries
// (substances and medications with autocomplete from the shipped terminology), changes their status and marks
// them entered-in-error; the patient reads theirs and self-reports allergies and medications, which show as
// unconfirmed until a doctor confirms them. Signed visit notes are listed for both.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/client';
import type { paths } from '../api/schema';
import { Field, formatDateTime, formValues, ListEnd, Loading, ProblemBanner, useAction, When } from './ui';
import { useList } from '../query';
import { t } from '../i18n';

/** The record's coded values (FHIR codes) in the portal's language; an unknown code is shown as it is. */
const VALUES: Record<string, string> = {
  active: 'record.value.active',
  inactive: 'record.value.inactive',
  stopped: 'record.value.stopped',
  resolved: 'record.value.resolved',
  'entered-in-error': 'record.value.enteredInError',
  medication: 'record.value.medication',
  food: 'record.value.food',
  environment: 'record.value.environment',
  other: 'record.value.other',
  high: 'record.value.high',
  low: 'record.value.low',
  'unable-to-assess': 'record.value.unableToAssess',
};
const value = (code: string) => (VALUES[code] ? t(VALUES[code]) : code);

type Coded = { system?: string; code?: string; display: string };
type Substance = paths['/api/v1/terminology/substances']['get']['responses'][200]['content']['application/json'][number];
type Note = paths['/api/v1/appointments/{id}/note']['get']['responses'][200]['content']['application/json'];
type Role = 'doctor' | 'patient';

const label = (c: Coded) => c.display;

/** A text field that suggests substances of GET /terminology/substances as one types; a pick keeps its code. */
export function SubstanceField({
  name,
  label: text,
  onPick,
  initial = '',
}: {
  name: string;
  label: string;
  onPick: (c: Coded | null) => void;
  /** What the field starts with (e.g. the patient's answer being copied into the record). */
  initial?: string;
}) {
  const [q, setQ] = useState(initial);
  const [options, setOptions] = useState<Substance[]>([]);
  useEffect(() => {
    const term = q.trim();
    if (term.length < 2) return setOptions([]);
    let live = true;
    void api.GET('/api/v1/terminology/substances', { params: { query: { q: term } } }).then((r) => live && setOptions(r.data ?? []));
    return () => {
      live = false;
    };
  }, [q]);
  // What is typed is coded when it names a suggestion (picked from the list, or typed in full), else free text.
  useEffect(() => {
    const v = q.trim();
    const hit = options.find((o) => o.display.toLowerCase() === v.toLowerCase());
    onPick(hit ? { system: hit.system, code: hit.code, display: hit.display } : v ? { display: v } : null);
  }, [q, options]);
  const id = `f-${name}`;
  return (
    <div class="field">
      <label for={id}>{text}</label>
      <input
        id={id}
        name={name}
        required
        list={`${id}-list`}
        autoComplete="off"
        value={q}
        onInput={(e) => setQ((e.target as HTMLInputElement).value)}
      />
      <datalist id={`${id}-list`}>
        {options.map((o) => (
          <option key={o.code} value={o.display}>
            {o.classes.length ? o.classes.join(', ') : 'RxNorm'}
          </option>
        ))}
      </datalist>
      <small>{t('record.substanceHint')}</small>
    </div>
  );
}

function Verification({ v }: { v: 'confirmed' | 'unconfirmed' }) {
  return v === 'unconfirmed' ? <span class="badge">{t('record.unconfirmed')}</span> : null;
}

function Recorded({ e }: { e: { recordedAt: string; enteredInError: { at: string } | null } }) {
  return (
    <small>
      {t('record.recorded')} <When iso={e.recordedAt} />
      {e.enteredInError && (
        <>
          {' '}
          · {t('record.enteredInError')} <When iso={e.enteredInError.at} />
        </>
      )}
    </small>
  );
}

/** Status change and entered-in-error for a doctor; nothing for the patient. */
function EntryActions({
  role,
  statuses,
  current,
  path,
  statusKey,
  confirm,
  onDone,
  what,
}: {
  role: Role;
  statuses: string[];
  current: string;
  path: string;
  statusKey: 'status' | 'clinicalStatus';
  confirm?: boolean;
  onDone: () => void;
  what: string;
}) {
  const act = useAction();
  if (role !== 'doctor' || current === 'entered-in-error') return null;
  const patch = async (body: Record<string, string>) => {
    const r = await act.run(() => fetchPatch(path, body));
    if (r.ok) onDone();
  };
  return (
    <div class="actions">
      <ProblemBanner problem={act.problem} />
      <label>
        {t('record.statusOf', { what })}{' '}
        <select
          aria-label={t('record.statusOf', { what })}
          onChange={(e) => patch({ [statusKey]: (e.target as HTMLSelectElement).value })}
          disabled={act.busy}
        >
          {statuses.map((s) => (
            <option key={s} value={s} selected={s === current}>
              {value(s)}
            </option>
          ))}
        </select>
      </label>
      {confirm && (
        <button type="button" class="secondary" disabled={act.busy} onClick={() => patch({ verification: 'confirmed' })}>
          {t('record.confirm')}
        </button>
      )}
      <button type="button" class="danger" disabled={act.busy} onClick={() => patch({ [statusKey]: 'entered-in-error' })}>
        {t('record.markError', { what })}
      </button>
    </div>
  );
}

/** A PATCH of one entry, through the same client (and so the same session and error handling). */
async function fetchPatch(path: string, body: Record<string, string>) {
  const [, , , , patientId, list, id] = path.split('/');
  const p = { params: { path: { patientId, id } }, body } as never;
  if (list === 'allergies') return api.PATCH('/api/v1/patients/{patientId}/allergies/{id}', p);
  if (list === 'medications') return api.PATCH('/api/v1/patients/{patientId}/medications/{id}', p);
  return api.PATCH('/api/v1/patients/{patientId}/problems/{id}', p);
}

export function ClinicalRecord({ patientId, role }: { patientId: string; role: Role }) {
  const path = { params: { path: { patientId }, query: { limit: 50 } } };
  const allergies = useList('/api/v1/patients/{patientId}/allergies', path);
  const medications = useList('/api/v1/patients/{patientId}/medications', path);
  const problems = useList('/api/v1/patients/{patientId}/problems', path);
  const base = `/api/v1/patients/${patientId}`;
  return (
    <>
      <section class="card" aria-labelledby="allergies-h">
        <h2 id="allergies-h">{t('record.allergies')}</h2>
        <Loading loaded={allergies}>
          {() => (
            <ul class="stack" aria-label={t('record.allergiesList')}>
              {allergies.items.length === 0 && <li>{t('record.none')}</li>}
              {allergies.items.map((a) => (
                <li key={a.id} class={a.status === 'entered-in-error' ? 'muted' : ''}>
                  <strong>{label(a.substance)}</strong> · {value(a.category)} · {t('record.criticality', { value: value(a.criticality) })}
                  {a.reaction && <> · {a.reaction}</>} · <span class="badge">{value(a.status)}</span> <Verification v={a.verification} />{' '}
                  <Recorded e={a} />
                  <EntryActions
                    role={role}
                    what={label(a.substance)}
                    statuses={['active', 'inactive']}
                    current={a.status}
                    statusKey="status"
                    confirm={a.verification === 'unconfirmed'}
                    path={`${base}/allergies/${a.id}`}
                    onDone={allergies.reload}
                  />
                </li>
              ))}
            </ul>
          )}
        </Loading>
        <ListEnd list={allergies} />
        <AddAllergy patientId={patientId} role={role} onDone={allergies.reload} />
      </section>
      <section class="card" aria-labelledby="medications-h">
        <h2 id="medications-h">{t('record.medications')}</h2>
        <Loading loaded={medications}>
          {() => (
            <ul class="stack" aria-label={t('record.medications')}>
              {medications.items.length === 0 && <li>{t('record.none')}</li>}
              {medications.items.map((m) => (
                <li key={m.id}>
                  <strong>{label(m.medication)}</strong>
                  {m.dosage && <> · {m.dosage}</>} · <span class="badge">{value(m.status)}</span> <Verification v={m.verification} />{' '}
                  <Recorded e={m} />
                  <EntryActions
                    role={role}
                    what={label(m.medication)}
                    statuses={['active', 'stopped']}
                    current={m.status}
                    statusKey="status"
                    confirm={m.verification === 'unconfirmed'}
                    path={`${base}/medications/${m.id}`}
                    onDone={medications.reload}
                  />
                </li>
              ))}
            </ul>
          )}
        </Loading>
        <ListEnd list={medications} />
        <AddMedication patientId={patientId} role={role} onDone={medications.reload} />
      </section>
      <section class="card" aria-labelledby="problems-h">
        <h2 id="problems-h">{t('record.problems')}</h2>
        <Loading loaded={problems}>
          {() => (
            <ul class="stack" aria-label={t('record.problems')}>
              {problems.items.length === 0 && <li>{t('record.none')}</li>}
              {problems.items.map((c) => (
                <li key={c.id}>
                  <strong>{label(c.condition)}</strong>
                  {c.onset && <> · {t('record.since', { date: c.onset })}</>} · <span class="badge">{value(c.clinicalStatus)}</span>
                  {c.note && <p>{c.note}</p>} <Recorded e={c} />
                  <EntryActions
                    role={role}
                    what={label(c.condition)}
                    statuses={['active', 'resolved']}
                    current={c.clinicalStatus}
                    statusKey="clinicalStatus"
                    path={`${base}/problems/${c.id}`}
                    onDone={problems.reload}
                  />
                </li>
              ))}
            </ul>
          )}
        </Loading>
        <ListEnd list={problems} />
        {role === 'doctor' && <AddProblem patientId={patientId} onDone={problems.reload} />}
      </section>
    </>
  );
}

function AddAllergy({ patientId, role, onDone }: { patientId: string; role: Role; onDone: () => void }) {
  const act = useAction();
  const [substance, setSubstance] = useState<Coded | null>(null);
  const [key, setKey] = useState(0);
  return (
    <form
      key={key}
      class="stack"
      aria-label={role === 'doctor' ? t('record.allergy.record') : t('record.allergy.report')}
      onSubmit={async (e) => {
        const v = formValues(e);
        if (!substance) return;
        const body = {
          substance,
          category: (v.category ?? 'medication') as 'medication',
          criticality: (v.criticality ?? 'high') as 'high',
          ...(v.reaction ? { reaction: v.reaction } : {}),
        };
        const r = await act.run(() => api.POST('/api/v1/patients/{patientId}/allergies', { params: { path: { patientId } }, body }));
        if (r.ok) {
          setSubstance(null);
          setKey((k) => k + 1);
          onDone();
        }
      }}
    >
      <h3>{role === 'doctor' ? t('record.allergy.record') : t('record.allergy.report')}</h3>
      <ProblemBanner problem={act.problem} />
      <SubstanceField name="allergy-substance" label={t('record.allergy.substance')} onPick={setSubstance} />
      <Field
        label={t('record.allergy.category')}
        name="category"
        options={[
          ['medication', t('record.allergy.medication')],
          ['food', t('record.allergy.food')],
          ['environment', t('record.allergy.environment')],
          ['other', t('record.allergy.other')],
        ]}
        value="medication"
      />
      <Field
        label={t('record.allergy.criticality')}
        name="criticality"
        options={[
          ['high', t('record.allergy.high')],
          ['low', t('record.allergy.low')],
          ['unable-to-assess', t('record.allergy.unableToAssess')],
        ]}
        value="high"
      />
      <Field label={t('record.allergy.reaction')} name="reaction" />
      {role === 'patient' && <p>{t('record.allergy.patientHint')}</p>}
      <button type="submit" disabled={act.busy}>
        {role === 'doctor' ? t('record.allergy.recordSubmit') : t('record.allergy.reportSubmit')}
      </button>
    </form>
  );
}

function AddMedication({ patientId, role, onDone }: { patientId: string; role: Role; onDone: () => void }) {
  const act = useAction();
  const [medication, setMedication] = useState<Coded | null>(null);
  const [key, setKey] = useState(0);
  return (
    <form
      key={key}
      class="stack"
      aria-label={role === 'doctor' ? t('record.medication.record') : t('record.medication.report')}
      onSubmit={async (e) => {
        const v = formValues(e);
        if (!medication) return;
        const body = { medication, ...(v.dosage ? { dosage: v.dosage } : {}), ...(v.since ? { since: v.since } : {}) };
        const r = await act.run(() => api.POST('/api/v1/patients/{patientId}/medications', { params: { path: { patientId } }, body }));
        if (r.ok) {
          setMedication(null);
          setKey((k) => k + 1);
          onDone();
        }
      }}
    >
      <h3>{role === 'doctor' ? t('record.medication.record') : t('record.medication.report')}</h3>
      <ProblemBanner problem={act.problem} />
      <SubstanceField name="medication-name" label={t('record.medication.name')} onPick={setMedication} />
      <Field label={t('record.medication.dosage')} name="dosage" />
      <Field label={t('record.medication.since')} name="since" type="date" />
      <button type="submit" disabled={act.busy}>
        {role === 'doctor' ? t('record.medication.recordSubmit') : t('record.medication.reportSubmit')}
      </button>
    </form>
  );
}

function AddProblem({ patientId, onDone }: { patientId: string; onDone: () => void }) {
  const act = useAction();
  return (
    <form
      class="stack"
      aria-label={t('record.problem.record')}
      onSubmit={async (e) => {
        const v = formValues(e);
        const body = {
          condition: { display: v.condition ?? '' },
          ...(v.onset ? { onset: v.onset } : {}),
          ...(v['problem-note'] ? { note: v['problem-note'] } : {}),
        };
        const r = await act.run(() => api.POST('/api/v1/patients/{patientId}/problems', { params: { path: { patientId } }, body }));
        if (r.ok) {
          (e.target as HTMLFormElement).reset();
          onDone();
        }
      }}
    >
      <h3>{t('record.problem.record')}</h3>
      <ProblemBanner problem={act.problem} />
      <Field label={t('record.problem.condition')} name="condition" required problem={act.problem} />
      <Field label={t('record.problem.onset')} name="onset" type="date" />
      <Field label={t('record.problem.note')} name="problem-note" multiline />
      <button type="submit" disabled={act.busy}>
        {t('record.problem.submit')}
      </button>
    </form>
  );
}

/** The patient's signed visit notes (a doctor sees their own drafts too), newest first. */
export function VisitNotes({ patientId }: { patientId: string }) {
  const notes = useList('/api/v1/patients/{patientId}/notes', { params: { path: { patientId }, query: { limit: 50 } } });
  return (
    <section class="card" aria-labelledby="notes-h">
      <h2 id="notes-h">{t('record.notes')}</h2>
      <Loading loaded={notes}>
        {() =>
          notes.items.length === 0 ? (
            <p>{t('record.notesNone')}</p>
          ) : (
            <ul class="stack" aria-label={t('record.notes')}>
              {notes.items.map((n) => (
                <li key={n.appointmentId}>
                  <NoteView note={n} />
                </li>
              ))}
            </ul>
          )
        }
      </Loading>
      <ListEnd list={notes} />
    </section>
  );
}

/** Where the patient stated they were for the visit: on a draft the latest statement, on a signed note the one it keeps. */
export function NoteLocation({ note }: { note: Note }) {
  const l = note.patientLocation;
  return (
    <p class="note-location">
      <strong>{t('note.location')}</strong>{' '}
      {l
        ? t('note.location.value', { place: [l.city, l.region, l.country].filter(Boolean).join(', '), when: formatDateTime(l.statedAt) })
        : t('note.location.none')}
    </p>
  );
}

export function NoteView({ note }: { note: Note }) {
  const parts: Array<[string, string | null]> = [
    [t('note.subjective'), note.subjective],
    [t('note.objective'), note.objective],
    [t('note.assessment'), note.assessment],
    [t('note.plan'), note.plan],
  ];
  return (
    <article>
      <h3>
        {note.status === 'SIGNED' ? (
          <>
            {t('note.signed')} <When iso={note.signedAt} />
          </>
        ) : (
          t('note.draft')
        )}
      </h3>
      <NoteLocation note={note} />
      <dl>
        {parts
          .filter(([, v]) => v)
          .map(([k, v]) => (
            <>
              <dt key={`${k}-t`}>{k}</dt>
              <dd key={`${k}-d`} class="article">
                {v}
              </dd>
            </>
          ))}
      </dl>
      {note.addenda.length > 0 && (
        <>
          <h4>{t('note.addenda')}</h4>
          <ul>
            {note.addenda.map((a) => (
              <li key={a.id}>
                <When iso={a.createdAt} />: {a.text}
              </li>
            ))}
          </ul>
        </>
      )}
    </article>
  );
}
