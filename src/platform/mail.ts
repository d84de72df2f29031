import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { prepared, run, type Database, type Executor, type StatementPart } from './db/index.ts';
import { mailOutbox, type MailAttachment } from './db/tables.ts';
import { PollingWorker } from './worker.ts';

export type { MailAttachment };

export interface OutgoingMail {
  kind: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** An attachment with `method` is an iCalendar invitation: sent as the text/calendar alternative that mail clients act on. */
  attachments?: MailAttachment[];
}

/**
 * The mail_outbox row of a mail, as Drizzle names its columns: the one mapping, for enqueueMail and for
 * outboxPart (which reads them through jsonb_to_recordset).
 */
export function outboxRecord(mail: OutgoingMail): typeof mailOutbox.$inferInsert {
  return {
    kind: mail.kind,
    recipient: mail.to,
    subject: mail.subject,
    textBody: mail.text,
    htmlBody: mail.html ?? null,
    attachments: mail.attachments?.length ? mail.attachments : null,
  };
}

/**
 * The outbox's part of another module's combined statement (the booking's one INSERT): the mails, one
 * parameter of jsonb, queued once per row of `from`, so they commit with that row.
 */
export const outboxPart: StatementPart<OutgoingMail[]> = {
  params: 1,
  text: (from, first) => `INSERT INTO mail_outbox (kind, recipient, subject, text_body, html_body, attachments)
     SELECT m.kind, m.recipient, m.subject, m."textBody", m."htmlBody", m.attachments
       FROM ${from}, jsonb_to_recordset($${first}::jsonb) AS m(kind text, recipient text, subject text, "textBody" text, "htmlBody" text, attachments jsonb)`,
  values: (mails) => [JSON.stringify(mails.map(outboxRecord))],
};

/** Queues a mail in the caller's transaction: it is sent if and only if the change commits. */
export async function enqueueMail(ex: Executor, mail: OutgoingMail): Promise<void> {
  await ex.insert(mailOutbox).values(outboxRecord(mail));
}

/**
 * What every mail says of the clinic that sends it (the clinic module's settings, injected by it: the
 * platform knows no module). `name` is the From display name and the name in subjects; `footer`, when set,
 * closes every mail. Read afresh at the start of each delivery pass and whenever the settings change in
 * this instance, so a change applies to every mail rendered or delivered after it (another instance
 * follows within one OUTBOX_POLL_MS).
 */
export interface MailBrand {
  name: string;
  footer: string | null;
}

/** The display name in MAIL_FROM ("Telecare <no-reply@…>"), before the clinic's settings are read. */
function displayNameOf(mailFrom: string): string {
  const m = /^\s*(.*?)\s*<([^>]+)>\s*$/.exec(mailFrom);
  return (m ? m[1].replace(/^"|"$/g, '') : '') || 'Telecare';
}

/** The address in MAIL_FROM, without its display name. */
export function mailFromAddress(mailFrom: string): string {
  const m = /<([^>]+)>\s*$/.exec(mailFrom);
  return (m ? m[1] : mailFrom).trim();
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The footer under a mail's text ("-- " is the signature separator mail clients recognise) and its HTML. */
export function withFooter(mail: { text: string; html: string | null }, footer: string | null): { text: string; html: string | null } {
  if (!footer) return mail;
  const lines = footer.split(/\r?\n/);
  return {
    text: `${mail.text.replace(/\n*$/, '')}\n\n-- \n${lines.join('\n')}\n`,
    html: mail.html === null ? null : `${mail.html}<hr><p class="footer">${lines.map(escapeHtml).join('<br>')}</p>`,
  };
}

const LEASE_SECONDS = 60;
const BATCH = 20;

/** An outbox row claimed for delivery (the id as text: bigint, which the drivers return differently). */
type Claimed = Pick<
  typeof mailOutbox.$inferSelect,
  'kind' | 'recipient' | 'subject' | 'textBody' | 'htmlBody' | 'attachments' | 'attempts'
> & {
  id: string;
};

// Prepared, like the other statements run for every request or mail: a booking's mail costs a claim and a
// mark. $1 the lease in seconds, $2 the batch size; rows another instance is claiming are passed over.
const CLAIM = prepared<Claimed>(
  'mail_claim',
  `UPDATE mail_outbox o
      SET locked_until = now() + make_interval(secs => $1), attempts = o.attempts + 1
    WHERE o.id IN (SELECT id FROM mail_outbox
                    WHERE sent_at IS NULL AND next_attempt_at <= now() AND (locked_until IS NULL OR locked_until < now())
                    ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
    RETURNING o.id::text AS id, o.kind, o.recipient, o.subject, o.text_body AS "textBody", o.html_body AS "htmlBody",
              o.attachments, o.attempts`,
);
const MARK_SENT = prepared(
  'mail_mark_sent',
  'UPDATE mail_outbox SET sent_at = now(), locked_until = NULL, last_error = NULL WHERE id = $1',
);
// $2 the error, $3 the back-off in seconds before the next attempt.
const MARK_FAILED = prepared(
  'mail_mark_failed',
  'UPDATE mail_outbox SET locked_until = NULL, last_error = $2, next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1',
);

/**
 * Delivers the outbox. Each instance claims due rows with SKIP LOCKED and a lease, so several
 * instances never send the same mail concurrently, and a crash mid-send only delays it until the lease ends.
 */
export class MailWorker {
  private readonly loop: PollingWorker;
  private stopped = false;
  private readonly transport: Transporter;
  private readonly hostname: string;
  private brandLoader: (() => Promise<MailBrand>) | null = null;
  private currentBrand: MailBrand;

  constructor(
    private readonly database: Database,
    private readonly config: Config,
    private readonly log: Logger,
  ) {
    this.hostname = new URL(config.publicUrl).hostname || 'telecare.localhost';
    this.currentBrand = { name: displayNameOf(config.mailFrom), footer: null };
    this.transport = config.smtpUrl
      ? nodemailer.createTransport(config.smtpUrl)
      : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
    this.loop = new PollingWorker({ name: 'mail outbox pass', log, pass: () => this.drain(), intervalMs: () => this.config.outboxPollMs });
  }

  /** The clinic's name and footer as last read (synchronous: a booking computes its mails before its statement). */
  get brand(): MailBrand {
    return this.currentBrand;
  }

  /** Where the brand is read from (the clinic module calls this once, when its routes are registered). */
  useBrand(loader: () => Promise<MailBrand>): void {
    this.brandLoader = loader;
  }

  /** The brand as the clinic's settings just committed it. */
  setBrand(brand: MailBrand): void {
    this.currentBrand = brand;
  }

  async refreshBrand(): Promise<MailBrand> {
    if (this.brandLoader) this.currentBrand = await this.brandLoader();
    return this.currentBrand;
  }

  start(): void {
    this.stopped = false;
    this.loop.start();
  }

  /** Asks for a pass soon, e.g. right after a transaction that queued mail committed. */
  kick(): void {
    this.loop.kick();
  }

  /** Stops polling, waits for a delivery under way, then closes the SMTP transport. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop.stop();
    this.transport.close();
  }

  /** Sends every due mail; returns how many were delivered. */
  async drain(): Promise<number> {
    let sent = 0;
    await this.refreshBrand();
    for (;;) {
      if (this.stopped && sent > 0) return sent;
      const batch = await this.claim();
      if (batch.length === 0) return sent;
      for (const m of batch) {
        if (await this.deliver(m)) sent++;
      }
    }
  }

  private async claim(): Promise<Claimed[]> {
    const rows = await run(this.database.db, CLAIM, [LEASE_SECONDS, BATCH]);
    // RETURNING follows no order; the oldest mail goes first.
    return rows.sort((a, b) => Number(a.id) - Number(b.id));
  }

  private async deliver(m: Claimed): Promise<boolean> {
    const { db } = this.database;
    // A stable Message-ID lets a receiver drop the rare duplicate after a crash between send and commit.
    const messageId = `<outbox-${m.id}@${this.hostname}>`;
    const invitation = m.attachments?.find((a) => a.method);
    const brand = this.currentBrand;
    const body = withFooter({ text: m.textBody, html: m.htmlBody }, brand.footer);
    try {
      const info = await this.transport.sendMail({
        // The clinic's name as the display name (nodemailer encodes it), the configured address.
        from: { name: brand.name, address: mailFromAddress(this.config.mailFrom) },
        to: m.recipient,
        subject: m.subject,
        text: body.text,
        html: body.html ?? undefined,
        messageId,
        ...(invitation ? { icalEvent: { filename: invitation.filename, method: invitation.method, content: invitation.content } } : {}),
        attachments: (m.attachments ?? [])
          .filter((a) => !a.method)
          .map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })),
      });
      if (!this.config.smtpUrl) {
        const dir = join(this.config.dataDir, 'mail');
        mkdirSync(dir, { recursive: true });
        const file = join(dir, `${String(m.id).padStart(8, '0')}-${m.kind}.eml`);
        writeFileSync(file, (info as unknown as { message: Buffer }).message);
        this.log.info({ mailId: m.id, to: m.recipient, subject: m.subject, file }, 'mail written to file (no SMTP_URL)');
      } else {
        this.log.info({ mailId: m.id, kind: m.kind }, 'mail sent');
      }
      await run(db, MARK_SENT, [m.id]);
      return true;
    } catch (err) {
      const backoff = Math.min(this.config.outboxMaxBackoffSeconds, 2 ** Math.min(m.attempts, 12));
      this.log.warn({ mailId: m.id, attempts: m.attempts, retryInSeconds: backoff, err: (err as Error).message }, 'mail delivery failed');
      await run(db, MARK_FAILED, [m.id, String((err as Error).message).slice(0, 500), backoff]).catch(() => undefined);
      return false;
    }
  }
}
