// Guests of a video visit (issue 30): the patient, or the doctor stating the patient agreed, invites a family
// member, caregiver or interpreter by a single-use link, sees who was invited and who has joined, and revokes.
// The link is shown once (only the token's hash is kept on the server) and carries the token in its fragment.
import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { Field, formatDateTime, formValues, Loading, Notice, ProblemBanner, useAction } from './ui';
import { useGet } from '../query';
import { t } from '../i18n';
import { GUEST_ROLE_KEYS } from '../pages/shared/visit/useCall';
import { pagePath } from '../routes';

type GuestRole = keyof typeof GUEST_ROLE_KEYS;
const ROLES = Object.keys(GUEST_ROLE_KEYS) as GuestRole[];
const STATUS_KEYS = { PENDING: 'guests.status.PENDING', REDEEMED: 'guests.status.REDEEMED', REVOKED: 'guests.status.REVOKED' } as const;

interface Created {
  link: string;
  role: GuestRole;
  validFrom: string;
  validUntil: string;
}

export function VisitGuests({ appointmentId, doctor }: { appointmentId: string; doctor: boolean }) {
  const init = { params: { path: { id: appointmentId } } };
  const list = useGet('/api/v1/appointments/{id}/visit/guests', init);
  const invite = useAction();
  const revoke = useAction();
  const [created, setCreated] = useState<Created | null>(null);
  const [copied, setCopied] = useState(false);
  const [formKey, setFormKey] = useState(0);

  const submit = async (e: Event) => {
    const v = formValues(e);
    const body = {
      role: v.role as GuestRole,
      ...(v.label ? { label: v.label.replace(/\s+/g, ' ').trim() } : {}),
      ...(doctor ? { patientAgreed: v.patientAgreed === 'on' } : {}),
    };
    const out = await invite.run(() => api.POST('/api/v1/appointments/{id}/visit/guests', { ...init, body }));
    if (out.ok && out.data) {
      const d = out.data;
      setCreated({
        link: `${location.origin}${pagePath('visitGuest')}#${d.token}`,
        role: d.role,
        validFrom: d.validFrom,
        validUntil: d.validUntil,
      });
      setCopied(false);
      setFormKey((k) => k + 1);
      list.reload();
    }
  };

  return (
    <section class="stack visit-guests" aria-labelledby={`guests-h-${appointmentId}`}>
      <h2 id={`guests-h-${appointmentId}`}>{t('guests.title')}</h2>
      <p class="muted">{doctor ? t('guests.introDoctor') : t('guests.introPatient')}</p>
      {created && (
        <div class="stack guest-link" role="status">
          <label for="guest-link">{t('guests.linkFor', { role: t(GUEST_ROLE_KEYS[created.role]) })}</label>
          <input id="guest-link" readOnly value={created.link} onFocus={(e) => (e.target as HTMLInputElement).select()} />
          <p class="muted">
            {t('guests.linkRules', { from: formatDateTime(created.validFrom), until: formatDateTime(created.validUntil) })}
          </p>
          <div class="actions">
            <button
              type="button"
              class="secondary"
              onClick={async () => {
                await navigator.clipboard?.writeText(created.link).catch(() => undefined);
                setCopied(true);
              }}
            >
              {t('guests.copy')}
            </button>
            {copied && <span>{t('guests.copied')}</span>}
          </div>
        </div>
      )}
      <form key={formKey} class="stack" onSubmit={submit}>
        <Field
          label={t('guests.role')}
          name="role"
          required
          value="FAMILY"
          options={ROLES.map((r) => [r, t(GUEST_ROLE_KEYS[r])])}
          problem={invite.problem}
        />
        <Field label={t('guests.label')} name="label" hint={t('guests.labelHint')} problem={invite.problem} />
        {doctor && (
          <label>
            <input type="checkbox" name="patientAgreed" required /> {t('guests.patientAgreed')}
          </label>
        )}
        <ProblemBanner problem={invite.problem} />
        <button type="submit" disabled={invite.busy}>
          {t('guests.invite')}
        </button>
      </form>
      <ProblemBanner problem={revoke.problem} />
      <Loading loaded={list}>
        {() =>
          list.data!.items.length === 0 ? (
            <p class="muted">{t('guests.none')}</p>
          ) : (
            <ul class="stack" aria-label={t('guests.list')}>
              {list.data!.items.map((g) => (
                <li key={g.id} data-status={g.status}>
                  <strong>{t(GUEST_ROLE_KEYS[g.role])}</strong>
                  {g.label ? ` · ${g.label}` : ''} · {t(STATUS_KEYS[g.status])}
                  {g.displayName ? ` · ${t('guests.as', { name: g.displayName })}` : ''}{' '}
                  {g.status !== 'REVOKED' && (
                    <button
                      type="button"
                      class="danger"
                      disabled={revoke.busy}
                      onClick={async () => {
                        const out = await revoke.run(() =>
                          api.DELETE('/api/v1/appointments/{id}/visit/guests/{guestId}', {
                            params: { path: { id: appointmentId, guestId: g.id } },
                          }),
                        );
                        if (out.ok) list.reload();
                      }}
                    >
                      {t('guests.revoke', { role: t(GUEST_ROLE_KEYS[g.role]) })}
                    </button>
                  )}
                </li>
              ))}
            </ul>
          )
        }
      </Loading>
      <Notice kind="info">{t('guests.privacy')}</Notice>
    </section>
  );
}
