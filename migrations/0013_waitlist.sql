-- Waitlist: patients waiting for a doctor's time to free up, offers of freed slots, and their holds.

-- A hold is a row of appointments with status HELD (and an expiry). The two exclusion constraints count it
-- like a booking, so the database itself refuses any booking, reschedule or second hold that overlaps a live
-- hold of that doctor (or of that patient). Released holds are deleted; an accepted one becomes the appointment.
ALTER TABLE appointments ADD COLUMN hold_expires_at timestamptz;
ALTER TABLE appointments DROP CONSTRAINT appointments_status_check;
ALTER TABLE appointments ADD CONSTRAINT appointments_status_check
  CHECK (status IN ('PENDING', 'CONFIRMED', 'CANCELLED', 'COMPLETED', 'NO_SHOW', 'HELD'));
ALTER TABLE appointments ADD CONSTRAINT appointments_hold_expiry CHECK ((status = 'HELD') = (hold_expires_at IS NOT NULL));
ALTER TABLE appointments DROP CONSTRAINT appointments_doctor_no_overlap;
ALTER TABLE appointments ADD CONSTRAINT appointments_doctor_no_overlap EXCLUDE USING gist (
  doctor_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&
) WHERE (status IN ('PENDING', 'CONFIRMED', 'HELD'));
ALTER TABLE appointments DROP CONSTRAINT appointments_patient_no_overlap;
ALTER TABLE appointments ADD CONSTRAINT appointments_patient_no_overlap EXCLUDE USING gist (
  patient_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&
) WHERE (status IN ('PENDING', 'CONFIRMED', 'HELD'));

-- A patient waiting for any slot of one doctor inside [from_at, to_at]. `seq` is the place in line.
CREATE TABLE waitlist_entries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq bigserial NOT NULL UNIQUE,
  patient_id uuid NOT NULL REFERENCES patients (id),
  doctor_id uuid NOT NULL REFERENCES doctors (id),
  from_at timestamptz NOT NULL,
  to_at timestamptz NOT NULL,
  -- WAITING: in line; OFFERED: holds a live offer; BOOKED: accepted one; REMOVED: left the list.
  status text NOT NULL CHECK (status IN ('WAITING', 'OFFERED', 'BOOKED', 'REMOVED')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (to_at > from_at),
  CHECK (to_at - from_at <= interval '31 days')
);
-- Next in line for a freed slot: a best-first (KNN) scan of this GiST index returns the waiting entries of
-- the doctor whose window contains the slot in `seq` order, so the first one costs O(log n) however many
-- wait, and whether or not the earlier ones in line wait for other days.
CREATE INDEX waitlist_entries_line_idx ON waitlist_entries
  USING gist (doctor_id, tstzrange(from_at, to_at, '[]'), seq) WHERE status = 'WAITING';
CREATE INDEX waitlist_entries_patient_idx ON waitlist_entries (patient_id, seq) WHERE status <> 'REMOVED';
CREATE INDEX waitlist_entries_doctor_idx ON waitlist_entries (doctor_id, seq) WHERE status <> 'REMOVED';

-- One offer of one slot to one entry. hold_id is the HELD appointments row (then the appointment once
-- accepted; NULL once a released hold is deleted).
CREATE TABLE waitlist_offers (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  entry_id uuid NOT NULL REFERENCES waitlist_entries (id),
  patient_id uuid NOT NULL REFERENCES patients (id),
  doctor_id uuid NOT NULL REFERENCES doctors (id),
  hold_id uuid REFERENCES appointments (id) ON DELETE SET NULL,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  status text NOT NULL CHECK (status IN ('OFFERED', 'ACCEPTED', 'DECLINED', 'EXPIRED', 'WITHDRAWN')),
  -- Set once the WebSocket event went out (each instance claims unsent ones with SKIP LOCKED).
  notified_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,
  CHECK (ends_at > starts_at)
);
-- A slot is offered to one patient at a time; an entry has at most one live offer.
CREATE UNIQUE INDEX waitlist_offers_live_slot_idx ON waitlist_offers (doctor_id, starts_at) WHERE status = 'OFFERED';
CREATE UNIQUE INDEX waitlist_offers_live_entry_idx ON waitlist_offers (entry_id) WHERE status = 'OFFERED';
CREATE INDEX waitlist_offers_live_patient_idx ON waitlist_offers (patient_id, doctor_id) WHERE status = 'OFFERED';
CREATE INDEX waitlist_offers_due_idx ON waitlist_offers (expires_at) WHERE status = 'OFFERED';
CREATE INDEX waitlist_offers_unsent_idx ON waitlist_offers (created_at) WHERE status = 'OFFERED' AND notified_at IS NULL;
-- "Was this entry already offered this slot?" (a declined or expired slot goes to the next in line).
CREATE INDEX waitlist_offers_history_idx ON waitlist_offers (entry_id, starts_at);
