import { useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { api } from '../../api/client';
import { Field, formatDateTime, formValues, ListEnd, Loading, Page, ProblemBanner, useAction, When } from '../../components/ui';
import { StatusBadge } from '../../components/Appointment';
import { PdfButton } from '../../components/PrescriptionPdf';
import { ClinicalRecord, VisitNotes } from '../../components/ClinicalRecord';
import { useGet, useList, type GetData } from '../../query';
import { t, tRich } from '../../i18n';

const GENDER: Record<string, string> = { female: 'gender.female', male: 'gender.male', other: 'gender.other', unknown: 'gender.unknown' };

export default function PatientRecord() {
  const { params } = useRoute();
  const patient = useGet('/api/v1/patients/{patientId}', { params: { path: { patientId: params.id } } });
  const appointments = useList('/api/v1/appointments', { params: { query: { patientId: params.id, limit: 50 } } });
  const prescriptions = useList('/api/v1/prescriptions', { params: { query: { patientId: params.id, limit: 100 } } });
  const p = patient.data;
  const mine = appointments.items;
  return (
    <Page title={p ? `${p.user.firstname} ${p.user.lastname}` : t('patientRecord.title')}>
      <Loading loaded={patient}>
        {() => (
          <section class="card" aria-labelledby="rec-h">
            <h2 id="rec-h">{t('patientRecord.record')}</h2>
            <p>
              {t('patientRecord.born', { date: p!.dateOfBirth, age: p!.age })} · {GENDER[p!.gender] ? t(GENDER[p!.gender]) : p!.gender} ·{' '}
              <a href={`/doctor/messages/${p!.id}`}>{t('patientRecord.message')}</a>
            </p>
            <h3>{t('patientRecord.history')}</h3>
            <p class="article">{p!.medicalHistory || t('patientRecord.historyNone')}</p>
          </section>
        )}
      </Loading>
      <ClinicalRecord patientId={params.id} role="doctor" />
      <VisitNotes patientId={params.id} />
      <section aria-labelledby="appt-h">
        <h2 id="appt-h">{t('patientRecord.appointments')}</h2>
        <Loading loaded={appointments}>
          {() =>
            mine.length === 0 ? (
              <p>{t('patientRecord.none')}</p>
            ) : (
              <ul>
                {mine.map((a) => (
                  <li key={a.id}>
                    <a href={`/appointments/${a.id}`}>
                      <When iso={a.startsAt} />
                    </a>{' '}
                    <StatusBadge status={a.status} />
                  </li>
                ))}
              </ul>
            )
          }
        </Loading>
        <ListEnd list={appointments} />
      </section>
      <NewPrescription
        appointments={mine.filter((a) => a.status === 'CONFIRMED' || a.status === 'COMPLETED')}
        onDone={prescriptions.reload}
      />
      <section aria-labelledby="rx-h">
        <h2 id="rx-h">{t('patientRecord.issued')}</h2>
        <Loading loaded={prescriptions}>
          {() =>
            prescriptions.items.length === 0 ? (
              <p>{t('patientRecord.none')}</p>
            ) : (
              <ul class="stack">
                {prescriptions.items.map((rx) => (
                  <Prescription key={rx.id} rx={rx} onChange={prescriptions.reload} />
                ))}
              </ul>
            )
          }
        </Loading>
        <ListEnd list={prescriptions} />
      </section>
    </Page>
  );
}

type Rx = GetData<'/api/v1/prescriptions/{id}'>;

function Prescription({ rx, onChange }: { rx: Rx; onChange: () => void }) {
  const act = useAction();
  const [revoking, setRevoking] = useState(false);
  return (
    <li class="card">
      <h3>
        {t('patientRecord.rx.issued')} <When iso={rx.issuedAt} />{' '}
        <span class="badge">{rx.status === 'ACTIVE' ? t('patientRecord.rx.active') : t('patientRecord.rx.revoked')}</span>
      </h3>
      <ul>
        {rx.items.map((i, n) => (
          <li key={n}>
            {i.strength
              ? t('patientRecord.rx.itemStrength', {
                  medication: i.medication,
                  strength: i.strength,
                  dosage: i.dosage,
                  frequency: i.frequency,
                  days: i.durationDays,
                })
              : t('patientRecord.rx.item', { medication: i.medication, dosage: i.dosage, frequency: i.frequency, days: i.durationDays })}
          </li>
        ))}
      </ul>
      {rx.revocationReason && <p>{t('patientRecord.rx.revokedReason', { reason: rx.revocationReason })}</p>}
      <ProblemBanner problem={act.problem} />
      <div class="actions">
        <PdfButton id={rx.id} />
        {rx.status === 'ACTIVE' && (
          <button type="button" class="secondary" onClick={() => setRevoking(!revoking)}>
            {t('patientRecord.rx.revoke')}
          </button>
        )}
      </div>
      {revoking && (
        <form
          class="stack"
          onSubmit={async (e) => {
            const v = formValues(e);
            if (
              (
                await act.run(() =>
                  api.POST('/api/v1/prescriptions/{id}/revoke', { params: { path: { id: rx.id } }, body: { reason: v.reason ?? '' } }),
                )
              ).ok
            )
              onChange();
          }}
        >
          <Field label={t('patientRecord.rx.revokeReason')} name="reason" required problem={act.problem} />
          <button type="submit" class="danger" disabled={act.busy}>
            {t('patientRecord.rx.revokeSubmit')}
          </button>
        </form>
      )}
    </li>
  );
}

type Conflict = {
  itemIndex: number;
  allergyId: string;
  substance: { display: string };
  match: 'substance' | 'class';
  class?: string;
};

type Item = { medication: string; strength: string; dosage: string; frequency: string; durationDays: string; instructions: string };
const blank: Item = { medication: '', strength: '', dosage: '', frequency: '', durationDays: '7', instructions: '' };

function NewPrescription({ appointments, onDone }: { appointments: Array<{ id: string; startsAt: string }>; onDone: () => void }) {
  const act = useAction();
  const [items, setItems] = useState<Item[]>([{ ...blank }]);
  // 409 ALLERGY_CONFLICT: the conflicts are shown and the doctor may send it again with a reason.
  const conflicts = act.problem?.code === 'ALLERGY_CONFLICT' ? ((act.problem as { conflicts?: Conflict[] }).conflicts ?? []) : [];
  const [overriding, setOverriding] = useState<Conflict[]>([]);
  if (appointments.length === 0) return <p>{t('newRx.needsAppointment')}</p>;
  const set = (i: number, k: keyof Item, v: string) => setItems((xs) => xs.map((x, n) => (n === i ? { ...x, [k]: v } : x)));
  return (
    <section class="card" aria-labelledby="new-rx-h">
      <h2 id="new-rx-h">{t('newRx.title')}</h2>
      <ProblemBanner problem={act.problem} />
      <form
        class="stack"
        onSubmit={async (e) => {
          const v = formValues(e);
          const body = {
            appointmentId: v.appointmentId ?? '',
            items: items.map((x) => ({
              medication: x.medication,
              ...(x.strength ? { strength: x.strength } : {}),
              dosage: x.dosage,
              frequency: x.frequency,
              durationDays: Number(x.durationDays),
              ...(x.instructions ? { instructions: x.instructions } : {}),
            })),
            ...(v.notes ? { notes: v.notes } : {}),
            ...(v.overrideReason && overriding.length ? { overrideReason: v.overrideReason } : {}),
          };
          const r = await act.run(() => api.POST('/api/v1/prescriptions', { body }));
          if (!r.ok) return;
          setOverriding([]);
          {
            setItems([{ ...blank }]);
            (e.target as HTMLFormElement).reset();
            onDone();
          }
        }}
      >
        <Field
          label={t('newRx.appointment')}
          name="appointmentId"
          options={appointments.map((a) => [a.id, formatDateTime(a.startsAt)])}
          value={appointments[0].id}
          problem={act.problem}
        />
        {items.map((x, i) => (
          <fieldset key={i} class="stack">
            <legend>{t('newRx.item', { n: i + 1 })}</legend>
            <Field
              label={t('newRx.medication')}
              name={`items/${i}/medication`}
              value={x.medication}
              onInput={(e) => set(i, 'medication', (e.target as HTMLInputElement).value)}
              required
              problem={act.problem}
            />
            <Field
              label={t('newRx.strength')}
              name={`items/${i}/strength`}
              hint={t('newRx.strengthHint')}
              value={x.strength}
              onInput={(e) => set(i, 'strength', (e.target as HTMLInputElement).value)}
              problem={act.problem}
            />
            <Field
              label={t('newRx.dosage')}
              name={`items/${i}/dosage`}
              hint={t('newRx.dosageHint')}
              value={x.dosage}
              onInput={(e) => set(i, 'dosage', (e.target as HTMLInputElement).value)}
              required
              problem={act.problem}
            />
            <Field
              label={t('newRx.frequency')}
              name={`items/${i}/frequency`}
              value={x.frequency}
              onInput={(e) => set(i, 'frequency', (e.target as HTMLInputElement).value)}
              required
              problem={act.problem}
            />
            <Field
              label={t('newRx.duration')}
              name={`items/${i}/durationDays`}
              type="number"
              min={1}
              value={x.durationDays}
              onInput={(e) => set(i, 'durationDays', (e.target as HTMLInputElement).value)}
              required
              problem={act.problem}
            />
            <Field
              label={t('newRx.instructions')}
              name={`items/${i}/instructions`}
              value={x.instructions}
              onInput={(e) => set(i, 'instructions', (e.target as HTMLInputElement).value)}
              problem={act.problem}
            />
          </fieldset>
        ))}
        <button type="button" class="secondary" onClick={() => setItems((xs) => [...xs, { ...blank }])}>
          {t('newRx.add')}
        </button>
        <Field label={t('newRx.notes')} name="notes" multiline problem={act.problem} />
        {(conflicts.length > 0 || overriding.length > 0) && (
          <fieldset class="stack" aria-label={t('newRx.conflicts')}>
            <legend>{t('newRx.conflicts')}</legend>
            <ul>
              {(conflicts.length ? conflicts : overriding).map((c) => (
                <li key={`${c.itemIndex}-${c.allergyId}`}>
                  {tRich(c.match === 'class' ? 'newRx.conflictClass' : 'newRx.conflictSubstance', {
                    n: c.itemIndex + 1,
                    substance: c.substance.display,
                    class: c.class ?? '',
                    b: (chunks) => <strong>{chunks}</strong>,
                  })}
                </li>
              ))}
            </ul>
            {overriding.length === 0 ? (
              <button type="button" class="danger" onClick={() => setOverriding(conflicts)}>
                {t('newRx.override')}
              </button>
            ) : (
              <Field label={t('newRx.overrideReason')} name="overrideReason" multiline required problem={act.problem} />
            )}
          </fieldset>
        )}
        <button type="submit" disabled={act.busy}>
          {overriding.length ? t('newRx.issueDespite') : t('newRx.issue')}
        </button>
      </form>
    </section>
  );
}
