-- Prescriptions a doctor issues on one of their CONFIRMED or COMPLETED appointments.
-- Items are one JSON array: they are written once, read whole, and never queried one by one.
CREATE TABLE prescriptions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  doctor_id uuid NOT NULL REFERENCES doctors (id),
  patient_id uuid NOT NULL REFERENCES patients (id),
  appointment_id uuid NOT NULL REFERENCES appointments (id),
  items jsonb NOT NULL CHECK (jsonb_typeof(items) = 'array' AND jsonb_array_length(items) BETWEEN 1 AND 20),
  notes text CHECK (length(notes) <= 2000),
  status text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'REVOKED')),
  -- Millisecond precision: the keyset cursor carries issued_at as an ISO string, which has no microseconds.
  issued_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  revoked_at timestamptz,
  revocation_reason text CHECK (length(revocation_reason) <= 1000),
  CHECK ((status = 'REVOKED') = (revoked_at IS NOT NULL))
);
-- One index per list view (patient, doctor, admin), each in the list's keyset order.
CREATE INDEX prescriptions_patient_idx ON prescriptions (patient_id, issued_at DESC, id DESC);
CREATE INDEX prescriptions_doctor_idx ON prescriptions (doctor_id, issued_at DESC, id DESC);
CREATE INDEX prescriptions_issued_idx ON prescriptions (issued_at DESC, id DESC);
CREATE INDEX prescriptions_appointment_idx ON prescriptions (appointment_id);
