-- Issue 27, the rest: an answer of a submitted intake copied into the clinical record by the doctor (one
-- click per entry, never silently), and the patient's stated location kept with the signed visit note.

-- Where an entry came from: the intake response (its id is the appointment's) and the item's linkId. An
-- answer goes into each list at most once (a second copy answers 409), so the unique index is the rule.
ALTER TABLE clinical_allergies ADD COLUMN source_response_id uuid REFERENCES intake_responses (appointment_id);
ALTER TABLE clinical_allergies ADD COLUMN source_link_id text;
ALTER TABLE clinical_medications ADD COLUMN source_response_id uuid REFERENCES intake_responses (appointment_id);
ALTER TABLE clinical_medications ADD COLUMN source_link_id text;
ALTER TABLE clinical_problems ADD COLUMN source_response_id uuid REFERENCES intake_responses (appointment_id);
ALTER TABLE clinical_problems ADD COLUMN source_link_id text;
ALTER TABLE clinical_allergies ADD CONSTRAINT clinical_allergies_source_check
  CHECK ((source_response_id IS NULL) = (source_link_id IS NULL));
ALTER TABLE clinical_medications ADD CONSTRAINT clinical_medications_source_check
  CHECK ((source_response_id IS NULL) = (source_link_id IS NULL));
ALTER TABLE clinical_problems ADD CONSTRAINT clinical_problems_source_check
  CHECK ((source_response_id IS NULL) = (source_link_id IS NULL));
CREATE UNIQUE INDEX clinical_allergies_source_once ON clinical_allergies (source_response_id, source_link_id)
  WHERE source_response_id IS NOT NULL;
CREATE UNIQUE INDEX clinical_medications_source_once ON clinical_medications (source_response_id, source_link_id)
  WHERE source_response_id IS NOT NULL;
CREATE UNIQUE INDEX clinical_problems_source_once ON clinical_problems (source_response_id, source_link_id)
  WHERE source_response_id IS NOT NULL;

-- The location the patient stated for the visit, frozen into the note when it is signed (a draft shows the
-- latest statement); the signed-note trigger of 0021 keeps it from changing afterwards.
ALTER TABLE visit_notes ADD COLUMN location_country text;
ALTER TABLE visit_notes ADD COLUMN location_region text;
ALTER TABLE visit_notes ADD COLUMN location_city text;
ALTER TABLE visit_notes ADD COLUMN location_stated_at timestamptz;
ALTER TABLE visit_notes ADD CONSTRAINT visit_notes_location_check
  CHECK ((location_country IS NULL) = (location_region IS NULL) AND (location_country IS NULL) = (location_stated_at IS NULL));
