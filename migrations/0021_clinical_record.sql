-- The clinical record: allergies, medications and problems (structured, never deleted: an entry made in
-- error is marked entered-in-error and keeps who marked it and when), and the visit note of an
-- appointment (SOAP), immutable once signed, with addenda. Coded values are (system, code, display):
-- system/code from the shipped terminology (RxNorm ingredients), or display alone for free text.

CREATE TABLE clinical_allergies (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  patient_id uuid NOT NULL REFERENCES patients (id),
  substance_system text,
  substance_code text,
  substance_display text NOT NULL,
  category text NOT NULL CHECK (category IN ('medication', 'food', 'environment', 'other')),
  criticality text NOT NULL CHECK (criticality IN ('low', 'high', 'unable-to-assess')),
  reaction text,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'entered-in-error')),
  verification text NOT NULL CHECK (verification IN ('confirmed', 'unconfirmed')),
  recorded_by uuid NOT NULL REFERENCES users (id),
  recorded_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_by uuid NOT NULL REFERENCES users (id),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  confirmed_by uuid REFERENCES users (id),
  entered_in_error_by uuid REFERENCES users (id),
  entered_in_error_at timestamptz,
  CHECK ((substance_system IS NULL) = (substance_code IS NULL)),
  CHECK ((status = 'entered-in-error') = (entered_in_error_at IS NOT NULL))
);
CREATE INDEX clinical_allergies_patient_idx ON clinical_allergies (patient_id, recorded_at DESC, id DESC);

CREATE TABLE clinical_medications (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  patient_id uuid NOT NULL REFERENCES patients (id),
  medication_system text,
  medication_code text,
  medication_display text NOT NULL,
  dosage text,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'stopped', 'entered-in-error')),
  verification text NOT NULL CHECK (verification IN ('confirmed', 'unconfirmed')),
  since date,
  recorded_by uuid NOT NULL REFERENCES users (id),
  recorded_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_by uuid NOT NULL REFERENCES users (id),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  confirmed_by uuid REFERENCES users (id),
  entered_in_error_by uuid REFERENCES users (id),
  entered_in_error_at timestamptz,
  CHECK ((medication_system IS NULL) = (medication_code IS NULL)),
  CHECK ((status = 'entered-in-error') = (entered_in_error_at IS NOT NULL))
);
CREATE INDEX clinical_medications_patient_idx ON clinical_medications (patient_id, recorded_at DESC, id DESC);

CREATE TABLE clinical_problems (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  patient_id uuid NOT NULL REFERENCES patients (id),
  condition_system text,
  condition_code text,
  condition_display text NOT NULL,
  clinical_status text NOT NULL DEFAULT 'active' CHECK (clinical_status IN ('active', 'resolved', 'entered-in-error')),
  onset date,
  note text,
  recorded_by uuid NOT NULL REFERENCES users (id),
  recorded_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_by uuid NOT NULL REFERENCES users (id),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  entered_in_error_by uuid REFERENCES users (id),
  entered_in_error_at timestamptz,
  CHECK ((condition_system IS NULL) = (condition_code IS NULL)),
  CHECK ((clinical_status = 'entered-in-error') = (entered_in_error_at IS NOT NULL))
);
CREATE INDEX clinical_problems_patient_idx ON clinical_problems (patient_id, recorded_at DESC, id DESC);

-- One note per appointment. Signed means final: the trigger below refuses any UPDATE or DELETE of a
-- signed note for everyone (the server's role included), as the audit table's do; corrections are addenda.
CREATE TABLE visit_notes (
  appointment_id uuid PRIMARY KEY REFERENCES appointments (id),
  patient_id uuid NOT NULL REFERENCES patients (id),
  doctor_id uuid NOT NULL REFERENCES users (id),
  status text NOT NULL DEFAULT 'DRAFT' CHECK (status IN ('DRAFT', 'SIGNED')),
  subjective text,
  objective text,
  assessment text,
  plan text,
  signed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  CHECK ((status = 'SIGNED') = (signed_at IS NOT NULL))
);
CREATE INDEX visit_notes_patient_idx ON visit_notes (patient_id, created_at DESC, appointment_id DESC);
CREATE INDEX visit_notes_signed_patient_idx ON visit_notes (patient_id, created_at DESC, appointment_id DESC) WHERE status = 'SIGNED';

CREATE FUNCTION visit_notes_signed_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status = 'SIGNED' THEN
    RAISE EXCEPTION 'visit note of appointment % is signed and cannot be changed', OLD.appointment_id
      USING ERRCODE = 'raise_exception';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER visit_notes_signed_no_change BEFORE UPDATE OR DELETE ON visit_notes
  FOR EACH ROW EXECUTE FUNCTION visit_notes_signed_immutable();

-- Addenda are append-only too.
CREATE TABLE visit_note_addenda (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  appointment_id uuid NOT NULL REFERENCES visit_notes (appointment_id),
  doctor_id uuid NOT NULL REFERENCES users (id),
  text text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX visit_note_addenda_note_idx ON visit_note_addenda (appointment_id, created_at, id);

CREATE FUNCTION visit_note_addenda_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'visit note addenda are append-only' USING ERRCODE = 'raise_exception';
END;
$$;
CREATE TRIGGER visit_note_addenda_no_change BEFORE UPDATE OR DELETE ON visit_note_addenda
  FOR EACH ROW EXECUTE FUNCTION visit_note_addenda_append_only();

-- A prescription issued over an allergy conflict keeps the doctor's reason (printed on the PDF).
ALTER TABLE prescriptions ADD COLUMN allergy_override_reason text;
