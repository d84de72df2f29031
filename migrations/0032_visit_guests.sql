-- Guests in the video visit (issue 30): a family member, interpreter or caregiver invited by a single-use
-- link bound to one appointment. Only hashes of the link's token and of the guest's room capability are
-- stored. A guest is no user: visit_presence and visit_admissions now hold guests' ids (this table's)
-- beside users' ids, so their user_id loses its reference to users (rows still go with the appointment).

CREATE TABLE visit_guests (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  appointment_id uuid NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('FAMILY', 'INTERPRETER', 'CAREGIVER', 'OTHER')),
  label text CHECK (label IS NULL OR char_length(label) BETWEEN 1 AND 80),
  -- SHA-256 of the link's 256-bit token.
  invite_hash text NOT NULL UNIQUE,
  created_by uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL,
  -- How the patient's agreement is recorded: they invited the guest themself, or the doctor stated that
  -- the patient agreed.
  agreement text NOT NULL CHECK (agreement IN ('PATIENT_INVITED', 'DOCTOR_STATED_PATIENT_AGREED')),
  revoked_at timestamptz,
  revoked_by uuid REFERENCES users (id) ON DELETE SET NULL,
  -- The first redemption binds the link: the guest's name and the hash of their room capability.
  redeemed_at timestamptz,
  display_name text CHECK (display_name IS NULL OR char_length(display_name) BETWEEN 1 AND 80),
  capability_hash text UNIQUE,
  CHECK ((redeemed_at IS NULL) = (display_name IS NULL) AND (redeemed_at IS NULL) = (capability_hash IS NULL))
);
CREATE INDEX visit_guests_appointment_idx ON visit_guests (appointment_id);

ALTER TABLE visit_presence DROP CONSTRAINT visit_presence_user_id_fkey;
ALTER TABLE visit_admissions DROP CONSTRAINT visit_admissions_user_id_fkey;
