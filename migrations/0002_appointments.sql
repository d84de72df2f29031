-- Appointments and the rule that neither a doctor nor a patient is ever double-booked.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE appointments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  patient_id uuid NOT NULL REFERENCES patients (id),
  doctor_id uuid NOT NULL REFERENCES doctors (id),
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  status text NOT NULL CHECK (status IN ('PENDING', 'CONFIRMED', 'CANCELLED', 'COMPLETED', 'NO_SHOW')),
  reason text CHECK (length(reason) <= 2000),
  cancellation_reason text CHECK (length(cancellation_reason) <= 2000),
  cancelled_by uuid REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_at > starts_at),
  -- Only live appointments hold their time; a cancelled one frees it at once.
  CONSTRAINT appointments_doctor_no_overlap EXCLUDE USING gist (
    doctor_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&
  ) WHERE (status IN ('PENDING', 'CONFIRMED')),
  CONSTRAINT appointments_patient_no_overlap EXCLUDE USING gist (
    patient_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&
  ) WHERE (status IN ('PENDING', 'CONFIRMED'))
);
CREATE INDEX appointments_doctor_starts_idx ON appointments (doctor_id, starts_at, id);
CREATE INDEX appointments_patient_starts_idx ON appointments (patient_id, starts_at, id);
CREATE INDEX appointments_starts_idx ON appointments (starts_at, id);
-- The care relationship is looked up by the pair on every doctor→patient access.
CREATE INDEX appointments_pair_idx ON appointments (doctor_id, patient_id, status);
