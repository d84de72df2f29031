-- Hardening after the latest attack: waitlist hoarding, export and message floods, the calendar feed.

-- "Was this slot ever offered to this patient?" A declined or expired slot never returns to the patient
-- who let it go, whichever of their entries (a new one after leaving the list) would be next in line.
CREATE INDEX waitlist_offers_patient_history_idx ON waitlist_offers (patient_id, doctor_id, starts_at);

-- A sender's messages of the last rate window: the per-user message rate counts them here, so the limit
-- holds across every instance.
CREATE INDEX messages_sender_recent_idx ON messages (sender_id, created_at);

-- Exports a user started: one runs at a time per user (finished_at NULL and not stale) and a few per hour.
CREATE TABLE export_runs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  started_at timestamptz NOT NULL,
  finished_at timestamptz
);
CREATE INDEX export_runs_user_idx ON export_runs (user_id, started_at DESC);

-- What a doctor's calendar feed shows of each patient: a feed URL travels (shared calendars, sync
-- services), so by default only the initials.
ALTER TABLE calendar_feeds ADD COLUMN patient_names text NOT NULL DEFAULT 'INITIALS'
  CHECK (patient_names IN ('INITIALS', 'FULL'));
