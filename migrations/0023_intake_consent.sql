-- Before the visit (issue 27): doctors' intake questionnaires (versioned; a version is never changed),
-- the patient's answers per appointment (frozen once submitted), the telehealth consent's published
-- versions and the patients' acceptances (append-only), and where the patient states they are for a visit
-- (append-only; the latest statement counts).

CREATE TABLE intake_questionnaires (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  doctor_id uuid NOT NULL REFERENCES doctors (id),
  -- The newest version; PUT raises it in the same statement that locks the row (one writer at a time).
  current_version integer NOT NULL DEFAULT 1 CHECK (current_version >= 1),
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  UNIQUE (doctor_id, id)
);
CREATE INDEX intake_questionnaires_doctor_idx ON intake_questionnaires (doctor_id, created_at, id);

CREATE TABLE intake_questionnaire_versions (
  questionnaire_id uuid NOT NULL REFERENCES intake_questionnaires (id),
  version integer NOT NULL CHECK (version >= 1),
  title text NOT NULL,
  items jsonb NOT NULL CHECK (jsonb_typeof(items) = 'array' AND jsonb_array_length(items) <= 100),
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (questionnaire_id, version)
);

CREATE FUNCTION intake_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% rows are never changed or deleted', TG_TABLE_NAME USING ERRCODE = 'raise_exception';
END;
$$;
CREATE TRIGGER intake_questionnaire_versions_no_change BEFORE UPDATE OR DELETE ON intake_questionnaire_versions
  FOR EACH ROW EXECUTE FUNCTION intake_append_only();

-- The doctor's default for new intakes; the composite key makes it one of their own questionnaires.
ALTER TABLE doctors ADD COLUMN intake_questionnaire_id uuid;
ALTER TABLE doctors ADD CONSTRAINT doctors_intake_questionnaire_fkey
  FOREIGN KEY (id, intake_questionnaire_id) REFERENCES intake_questionnaires (doctor_id, id);

CREATE TABLE intake_responses (
  appointment_id uuid PRIMARY KEY REFERENCES appointments (id),
  patient_id uuid NOT NULL REFERENCES users (id),
  doctor_id uuid NOT NULL REFERENCES users (id),
  questionnaire_id uuid NOT NULL,
  questionnaire_version integer NOT NULL,
  status text NOT NULL DEFAULT 'in-progress' CHECK (status IN ('in-progress', 'completed')),
  -- {linkId: value}
  answers jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(answers) = 'object'),
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  submitted_at timestamptz,
  CHECK ((status = 'completed') = (submitted_at IS NOT NULL)),
  FOREIGN KEY (questionnaire_id, questionnaire_version) REFERENCES intake_questionnaire_versions (questionnaire_id, version)
);
CREATE INDEX intake_responses_patient_idx ON intake_responses (patient_id, updated_at DESC);

CREATE FUNCTION intake_responses_completed_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR OLD.status = 'completed' THEN
    RAISE EXCEPTION 'intake response of appointment % is submitted and cannot be changed', OLD.appointment_id
      USING ERRCODE = 'raise_exception';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER intake_responses_no_change BEFORE UPDATE OR DELETE ON intake_responses
  FOR EACH ROW EXECUTE FUNCTION intake_responses_completed_immutable();

-- One head row per consent type: publishing raises its version (UPDATE, a row lock) and a visit join holds it
-- FOR SHARE from its check to its commit, so no join commits against a version that is no longer current.
CREATE TABLE consent_heads (
  type text PRIMARY KEY CHECK (type IN ('telehealth')),
  version integer NOT NULL DEFAULT 0 CHECK (version >= 0)
);
INSERT INTO consent_heads (type, version) VALUES ('telehealth', 0);

CREATE TABLE consent_versions (
  type text NOT NULL REFERENCES consent_heads (type),
  version integer NOT NULL CHECK (version >= 1),
  text text NOT NULL,
  published_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  published_by uuid NOT NULL REFERENCES users (id),
  PRIMARY KEY (type, version)
);
CREATE TRIGGER consent_versions_no_change BEFORE UPDATE OR DELETE ON consent_versions
  FOR EACH ROW EXECUTE FUNCTION intake_append_only();

CREATE TABLE consent_acceptances (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  patient_id uuid NOT NULL REFERENCES users (id),
  type text NOT NULL,
  version integer NOT NULL,
  accepted_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  request_id text NOT NULL,
  FOREIGN KEY (type, version) REFERENCES consent_versions (type, version),
  CONSTRAINT consent_acceptances_once UNIQUE (patient_id, type, version)
);
CREATE TRIGGER consent_acceptances_no_change BEFORE UPDATE OR DELETE ON consent_acceptances
  FOR EACH ROW EXECUTE FUNCTION intake_append_only();

CREATE TABLE visit_locations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  appointment_id uuid NOT NULL REFERENCES appointments (id),
  patient_id uuid NOT NULL REFERENCES users (id),
  country text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
  region text NOT NULL CHECK (region ~ '^[A-Z]{2}-[A-Z0-9]{1,3}$' AND left(region, 2) = country),
  city text,
  stated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  request_id text NOT NULL
);
CREATE INDEX visit_locations_appointment_idx ON visit_locations (appointment_id, stated_at DESC);
CREATE TRIGGER visit_locations_no_change BEFORE UPDATE OR DELETE ON visit_locations
  FOR EACH ROW EXECUTE FUNCTION intake_append_only();
