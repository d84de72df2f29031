// The caller's secret calendar-feed URL (docs/api.md "Notifications, reminders and calendars"): shown to copy
// into a calendar app, and rotated when it leaked. Rotating asks first, since every subscribed app stops updating.
import { useRef, useState } from 'preact/hooks';
import { api } from '../api/client';
import { Loading, Notice, ProblemBanner, useAction } from './ui';
import { useGet } from '../query';
import { t } from '../i18n';

export function CalendarFeed() {
  const feed = useGet('/api/v1/me/calendar');
  const rotate = useAction();
  const [url, setUrl] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [rotated, setRotated] = useState(false);
  const [copied, setCopied] = useState<'yes' | 'manual' | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const current = url ?? feed.data?.url ?? '';
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(current);
      setCopied('yes');
    } catch {
      // No clipboard permission (or an insecure origin): select the text so the person can copy it themselves.
      input.current?.select();
      setCopied('manual');
    }
  };
  return (
    <section class="card" aria-labelledby="calendar-h">
      <h2 id="calendar-h">{t('calendarFeed.title')}</h2>
      <Loading loaded={feed}>
        {() => (
          <div class="stack">
            <div class="field">
              <label for="calendar-url">{t('calendarFeed.url')}</label>
              <input
                id="calendar-url"
                ref={input}
                readOnly
                value={current}
                aria-describedby="calendar-url-hint"
                onFocus={(e) => (e.target as HTMLInputElement).select()}
              />
              <small id="calendar-url-hint">{t('calendarFeed.hint')}</small>
            </div>
            <p class="visually-hidden" role="status">
              {copied === 'yes' ? t('calendarFeed.copied') : copied === 'manual' ? t('calendarFeed.selected') : ''}
            </p>
            {rotated && <Notice kind="success">{t('calendarFeed.rotated')}</Notice>}
            <ProblemBanner problem={rotate.problem} />
            <div class="actions">
              <button type="button" onClick={copy}>
                {t('calendarFeed.copy')}
              </button>
              {copied === 'yes' && <span aria-hidden="true">{t('calendarFeed.copiedShort')}</span>}
              <button
                type="button"
                class="secondary"
                aria-expanded={confirming}
                onClick={() => {
                  setConfirming(!confirming);
                  setTimeout(() => confirmRef.current?.focus(), 0);
                }}
              >
                {t('calendarFeed.rotate')}
              </button>
            </div>
            {confirming && (
              <div id="calendar-rotate" class="banner warning" role="group" aria-labelledby="calendar-rotate-q">
                <p id="calendar-rotate-q">{t('calendarFeed.confirm')}</p>
                <div class="actions">
                  <button
                    type="button"
                    class="danger"
                    ref={confirmRef}
                    disabled={rotate.busy}
                    onClick={async () => {
                      setRotated(false);
                      const r = await rotate.run(() => api.POST('/api/v1/me/calendar/rotate', { body: {} }));
                      if (r.ok && r.data) {
                        setUrl(r.data.url);
                        setCopied(null);
                        setConfirming(false);
                        setRotated(true);
                      }
                    }}
                  >
                    {t('calendarFeed.yes')}
                  </button>
                  <button type="button" class="secondary" onClick={() => setConfirming(false)}>
                    {t('calendarFeed.keep')}
                  </button>
                </div>
              </div>
            )}
          </div>
        )}
      </Loading>
    </section>
  );
}
