// The SOAP note of one appointment. Its doctor writes a draft (saved with PUT, replaced whole), signs it
// (then it is immutable) and adds addenda; its patient reads it once signed.
import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { Field, formValues, Notice, ProblemBanner, useAction } from './ui';
import { NoteLocation, NoteView } from './ClinicalRecord';
import { useGet } from '../query';
import { t } from '../i18n';

export function VisitNoteEditor({ appointmentId, role }: { appointmentId: string; role: 'doctor' | 'patient' }) {
  const note = useGet('/api/v1/appointments/{id}/note', { params: { path: { id: appointmentId } } });
  const act = useAction();
  const [saved, setSaved] = useState<string | null>(null);
  const path = { params: { path: { id: appointmentId } } };
  if (note.data === undefined && note.loading) return <p aria-busy="true">{t('note.loading')}</p>;
  const n = note.data;
  // No note yet answers 404: for the doctor an empty draft to write; for the patient nothing signed yet.
  if (role === 'patient')
    return n ? (
      <section class="card" aria-labelledby="note-h">
        <h2 id="note-h">{t('note.title')}</h2>
        <NoteView note={n} />
      </section>
    ) : null;
  return (
    <section class="card" aria-labelledby="note-h">
      <h2 id="note-h">{t('note.title')}</h2>
      {saved && <Notice kind="success">{saved}</Notice>}
      <ProblemBanner problem={act.problem} />
      {n?.status === 'SIGNED' ? (
        <>
          <NoteView note={n} />
          <form
            class="stack"
            aria-label={t('note.addAddendum')}
            onSubmit={async (e) => {
              const v = formValues(e);
              const r = await act.run(() =>
                api.POST('/api/v1/appointments/{id}/note/addenda', { ...path, body: { text: v.addendum ?? '' } }),
              );
              if (r.ok) {
                (e.target as HTMLFormElement).reset();
                setSaved(t('note.addendumAdded'));
                note.reload();
              }
            }}
          >
            <Field label={t('note.addendum')} name="addendum" multiline required problem={act.problem} />
            <button type="submit" disabled={act.busy}>
              {t('note.addendumSubmit')}
            </button>
          </form>
        </>
      ) : (
        <>
          {n && <NoteLocation note={n} />}
          <form
            class="stack"
            aria-label={t('note.form')}
            onSubmit={async (e) => {
              const v = formValues(e);
              const submitter = (e as SubmitEvent).submitter as HTMLButtonElement | null;
              const body = {
                ...(v.subjective ? { subjective: v.subjective } : {}),
                ...(v.objective ? { objective: v.objective } : {}),
                ...(v.assessment ? { assessment: v.assessment } : {}),
                ...(v.plan ? { plan: v.plan } : {}),
              };
              const put = await act.run(() => api.PUT('/api/v1/appointments/{id}/note', { ...path, body }));
              if (!put.ok) return;
              if (submitter?.value === 'sign') {
                const signed = await act.run(() => api.POST('/api/v1/appointments/{id}/note/sign', path));
                if (!signed.ok) return;
                setSaved(t('note.signedDone'));
              } else setSaved(t('note.draftSaved'));
              note.reload();
            }}
          >
            <Field label={t('note.subjective')} name="subjective" multiline value={n?.subjective ?? ''} problem={act.problem} />
            <Field label={t('note.objective')} name="objective" multiline value={n?.objective ?? ''} problem={act.problem} />
            <Field label={t('note.assessment')} name="assessment" multiline value={n?.assessment ?? ''} problem={act.problem} />
            <Field label={t('note.plan')} name="plan" multiline value={n?.plan ?? ''} problem={act.problem} />
            <div class="actions">
              <button type="submit" name="action" value="draft" class="secondary" disabled={act.busy}>
                {t('note.saveDraft')}
              </button>
              <button type="submit" name="action" value="sign" disabled={act.busy}>
                {t('note.sign')}
              </button>
            </div>
          </form>
        </>
      )}
    </section>
  );
}
