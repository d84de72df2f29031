// The clinic's settings (admin): name, address, contact, brand colours (with the contrast rule the server
// applies), the mail footer and the logo. Saving applies them to this portal at once.
import { useState } from 'preact/hooks';
import { api, asProblem, type Problem } from '../../api/client';
import { Field, formValues, Loading, Notice, Page, ProblemBanner, useAction } from '../../components/ui';
import { useGet } from '../../query';
import { applyClinic, contrastWithWhite, type Clinic as ClinicSettings } from '../../clinic';
import { session } from '../../session';

const MIN = 4.5;

function ColourField({ label, name, initial, problem }: { label: string; name: string; initial: string | null; problem: Problem | null }) {
  const [on, setOn] = useState(initial !== null);
  const [value, setValue] = useState(initial ?? '#0b5cad');
  const ratio = contrastWithWhite(value);
  const ok = ratio >= MIN;
  const hintId = `${name}-contrast`;
  return (
    <fieldset class="stack">
      <legend>{label}</legend>
      <label>
        <input type="checkbox" name={`${name}-custom`} checked={on} onChange={(e) => setOn((e.target as HTMLInputElement).checked)} /> Use a
        custom colour (else the portal's own)
      </label>
      {on && (
        <>
          <Field
            label={`${label}: colour`}
            name={name}
            type="color"
            value={value}
            onInput={(e) => setValue((e.target as HTMLInputElement).value)}
            problem={problem}
          />
          <p id={hintId}>
            <span class="swatch" style={{ background: value }}>
              Sample text
            </span>{' '}
            White text on {value}: contrast {ratio.toFixed(2)}:1 —{' '}
            {ok ? 'meets WCAG AA (4.5:1)' : <strong>too light: WCAG AA needs at least 4.5:1, choose a darker colour</strong>}
          </p>
        </>
      )}
    </fieldset>
  );
}

function LogoPanel({ settings, onChange }: { settings: ClinicSettings; onChange: (c: ClinicSettings) => void }) {
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const send = async (method: 'PUT' | 'DELETE', body?: File) => {
    setBusy(true);
    setProblem(null);
    try {
      // The logo is the request body itself (not JSON), so it is sent with fetch and the session's token.
      const res = await fetch('/api/v1/admin/clinic/logo', {
        method,
        headers: {
          authorization: `Bearer ${session.accessToken ?? ''}`,
          ...(body ? { 'content-type': body.type || 'application/octet-stream' } : {}),
        },
        body,
      });
      const json = await res.json().catch(() => null);
      if (!res.ok) setProblem(asProblem(json));
      else onChange(json as ClinicSettings);
    } catch (e) {
      setProblem(asProblem(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card stack" aria-labelledby="logo-h">
      <h2 id="logo-h">Logo</h2>
      <p>A PNG or JPEG of at most 512 KiB. It is stored without its metadata and at most 512 × 512 pixels.</p>
      {settings.logoUrl ? <img class="logo-preview" src={settings.logoUrl} alt="Current logo" /> : <p>No logo yet.</p>}
      <ProblemBanner problem={problem} />
      <div class="field">
        <label for="logo-file">Upload a new logo</label>
        <input
          id="logo-file"
          type="file"
          accept="image/png,image/jpeg"
          disabled={busy}
          onChange={(e) => {
            const file = (e.target as HTMLInputElement).files?.[0];
            if (file) void send('PUT', file);
          }}
        />
      </div>
      {settings.logoUrl && (
        <button type="button" class="secondary" disabled={busy} onClick={() => void send('DELETE')}>
          Remove the logo
        </button>
      )}
    </section>
  );
}

export default function Clinic() {
  const loaded = useGet('/api/v1/clinic');
  const save = useAction();
  const [saved, setSaved] = useState<ClinicSettings | null>(null);
  const [formKey, setFormKey] = useState(0);
  return (
    <Page title="Clinic">
      <Loading loaded={loaded}>
        {() => {
          const current = saved ?? loaded.data!;
          const update = (c: ClinicSettings) => {
            setSaved(c);
            applyClinic(c);
          };
          return (
            <>
              <section class="card" aria-labelledby="settings-h">
                <h2 id="settings-h">Name, address and mails</h2>
                <p>
                  Shown in the portal's header and title, in every mail (sender name, subjects, footer), in calendar invitations and on
                  printed prescriptions.
                </p>
                <ProblemBanner problem={save.problem} />
                {saved && formKey > 0 && <Notice kind="success">The clinic's settings are saved.</Notice>}
                <form
                  key={formKey}
                  class="stack"
                  onSubmit={async (e) => {
                    const form = e.currentTarget as HTMLFormElement;
                    const v = formValues(e);
                    const custom = (n: string) => (form.elements.namedItem(`${n}-custom`) as HTMLInputElement | null)?.checked;
                    const body = {
                      name: v.name ?? '',
                      addressLines: (v.address ?? '')
                        .split('\n')
                        .map((l) => l.trim())
                        .filter(Boolean),
                      phone: v.phone ?? null,
                      contactEmail: v.contactEmail ?? null,
                      primaryColor: custom('primaryColor') ? (v.primaryColor ?? null) : null,
                      accentColor: custom('accentColor') ? (v.accentColor ?? null) : null,
                      mailFooter: v.mailFooter ?? null,
                    };
                    const r = await save.run(() => api.PUT('/api/v1/admin/clinic', { body }));
                    if (r.ok && r.data) {
                      update(r.data);
                      setFormKey((k) => k + 1);
                    }
                  }}
                >
                  <Field label="Clinic name" name="name" value={current.name} required problem={save.problem} />
                  <Field
                    label="Address (one line each, at most 5)"
                    name="address"
                    multiline
                    value={current.addressLines.join('\n')}
                    problem={save.problem}
                  />
                  <Field label="Phone" name="phone" type="tel" value={current.phone ?? ''} problem={save.problem} />
                  <Field label="Contact email" name="contactEmail" type="email" value={current.contactEmail ?? ''} problem={save.problem} />
                  <p>
                    Brand colours carry white text (the header, buttons and links), so each must reach a contrast of at least 4.5:1 with
                    white (WCAG AA); a lighter one is refused.
                  </p>
                  <ColourField label="Header colour" name="primaryColor" initial={current.primaryColor} problem={save.problem} />
                  <ColourField
                    label="Accent colour (buttons and links)"
                    name="accentColor"
                    initial={current.accentColor}
                    problem={save.problem}
                  />
                  <Field
                    label="Mail footer"
                    name="mailFooter"
                    multiline
                    hint="Closes every mail; at most 1,000 characters."
                    value={current.mailFooter ?? ''}
                    problem={save.problem}
                  />
                  <button type="submit" disabled={save.busy}>
                    Save
                  </button>
                </form>
              </section>
              <LogoPanel settings={current} onChange={update} />
            </>
          );
        }}
      </Loading>
    </Page>
  );
}
