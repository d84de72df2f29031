// The caller's secret calendar-feed URL (docs/api.md "Notifications, reminders and calendars"): shown to copy
// into a calendar app, and rotated when it leaked. Rotating asks first, since every subscribed app stops updating.
import { useRef, useState } from 'preact/hooks';
import { api } from '../api/client';
import { Loading, Notice, ProblemBanner, useAction } from './ui';
import { useGet } from '../query';

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
      <h2 id="calendar-h">Calendar feed</h2>
      <Loading loaded={feed}>
        {() => (
          <div class="stack">
            <div class="field">
              <label for="calendar-url">Calendar feed URL</label>
              <input
                id="calendar-url"
                ref={input}
                readOnly
                value={current}
                aria-describedby="calendar-url-hint"
                onFocus={(e) => (e.target as HTMLInputElement).select()}
              />
              <small id="calendar-url-hint">
                Subscribe to it in your calendar app to see your upcoming appointments there. Anyone who has this link can see the times of
                your appointments: keep it private, and rotate it if it leaked.
              </small>
            </div>
            <p class="visually-hidden" role="status">
              {copied === 'yes' ? 'Link copied.' : copied === 'manual' ? 'The link is selected: press Ctrl+C (or ⌘C) to copy it.' : ''}
            </p>
            {rotated && <Notice kind="success">New link made. The old link no longer works: update your calendar apps.</Notice>}
            <ProblemBanner problem={rotate.problem} />
            <div class="actions">
              <button type="button" onClick={copy}>
                Copy link
              </button>
              {copied === 'yes' && <span aria-hidden="true">Copied</span>}
              <button
                type="button"
                class="secondary"
                aria-expanded={confirming}
                onClick={() => {
                  setConfirming(!confirming);
                  setTimeout(() => confirmRef.current?.focus(), 0);
                }}
              >
                Rotate link
              </button>
            </div>
            {confirming && (
              <div id="calendar-rotate" class="banner warning" role="group" aria-labelledby="calendar-rotate-q">
                <p id="calendar-rotate-q">
                  Make a new link? The current link stops working at once, and calendar apps subscribed to it stop updating.
                </p>
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
                    Yes, make a new link
                  </button>
                  <button type="button" class="secondary" onClick={() => setConfirming(false)}>
                    Keep the current link
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
