// Helpers shared by the notification tests (not loaded by the app).
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import ical from 'node-ical';
import { mailbox, sleep, type Mail, type TestApp } from '../../../test/helpers.ts';

/** The one VEVENT of a mail's text/calendar part, with the calendar's METHOD, read by a real iCalendar parser. */
export function invitationOf(mail: Mail) {
  const part = mail.attachments.find((a) => /text\/calendar/i.test(a.contentType));
  assert.ok(part, `mail "${mail.subject}" has no text/calendar part`);
  const parsed = ical.sync.parseICS(part.content);
  const events = Object.values(parsed).filter((c) => c?.type === 'VEVENT') as ical.VEvent[];
  assert.equal(events.length, 1);
  const cal = parsed.vcalendar as unknown as { method?: string };
  return { method: cal.method, event: events[0], raw: part.content };
}

/** Waits until the outbox has delivered everything queued so far (so counts of received mails are final). */
export async function outboxDrained(app: TestApp, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM mail_outbox WHERE sent_at IS NULL`);
    if (row.n === 0) return;
    if (Date.now() > deadline) throw new Error(`${row.n} mails still unsent after ${timeoutMs} ms`);
    app.app.platform.mail.kick();
    await sleep(25);
  }
}

export const mailsTo = (email: string, subject: RegExp) => mailbox.mails.filter((m) => m.to === email.toLowerCase() && subject.test(m.subject));
