-- Scheduling beyond booking: cancellation policy, calendar invitations, reminders and calendar feeds.

-- A patient may not cancel or reschedule later than this many hours before the start (0: any time).
ALTER TABLE doctors ADD COLUMN cancellation_notice_hours integer NOT NULL DEFAULT 0
  CHECK (cancellation_notice_hours BETWEEN 0 AND 168);

-- iCalendar SEQUENCE of the appointment's invitation: raised with every change that is mailed, so
-- calendar clients replace the older version of the event (RFC 5545 §3.8.7.4).
ALTER TABLE appointments ADD COLUMN sequence integer NOT NULL DEFAULT 0 CHECK (sequence >= 0);
-- Set when the patient cancelled close to the start (the doctor's agenda counts these per patient).
ALTER TABLE appointments ADD COLUMN late_cancellation boolean NOT NULL DEFAULT false;
-- The booking-limit count: a patient's open appointments by start.
CREATE INDEX appointments_patient_open_idx ON appointments (patient_id, starts_at)
  WHERE status IN ('PENDING', 'CONFIRMED');

-- Mails may carry attachments (the calendar invitation): [{filename, contentType, content, method?}].
ALTER TABLE mail_outbox ADD COLUMN attachments jsonb;

-- Reminders due at a time. One row per (appointment, party, offset, start): a reschedule makes new rows
-- for the new start, and the key makes a second insert for the same reminder a no-op, so however many
-- instances schedule or claim it, it is mailed once. Claimed with FOR UPDATE SKIP LOCKED; the mail is
-- queued in the outbox in the transaction that marks the row done.
CREATE TABLE reminder_jobs (
  id bigserial PRIMARY KEY,
  appointment_id uuid NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
  party text NOT NULL CHECK (party IN ('PATIENT', 'DOCTOR')),
  offset_minutes integer NOT NULL CHECK (offset_minutes > 0),
  starts_at timestamptz NOT NULL,
  due_at timestamptz NOT NULL,
  done_at timestamptz,
  outcome text CHECK (outcome IN ('SENT', 'SKIPPED')),
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT reminder_jobs_once UNIQUE (appointment_id, party, offset_minutes, starts_at)
);
CREATE INDEX reminder_jobs_due_idx ON reminder_jobs (due_at) WHERE done_at IS NULL;

-- The secret calendar feed of a user. The URL's token is an HMAC of `nonce` with the server's secret
-- (so the URL can be shown again without being stored); only its SHA-256 is stored, for the lookup.
-- Rotation replaces the nonce and the hash in one update, so the old URL stops working at once.
CREATE TABLE calendar_feeds (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  nonce text NOT NULL,
  token_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);
