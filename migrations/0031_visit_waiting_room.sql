-- The visit's waiting room (issue 30). A patient who joins waits in the lobby until the doctor admits them;
-- the admission holds for the whole visit (a re-join after a dropped connection or a reload is not sent
-- back to the lobby). No signal reaches or leaves a participant without an admission row.

CREATE TABLE visit_admissions (
  appointment_id uuid NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  admitted_by uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  admitted_at timestamptz NOT NULL,
  PRIMARY KEY (appointment_id, user_id),
  CHECK (user_id <> admitted_by)
);

-- "Running late by N minutes", set by the doctor with one click in the agenda and shown to the patients
-- waiting in the lobby of the doctor's visits until it expires or the doctor clears it.
CREATE TABLE doctor_running_late (
  doctor_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  minutes integer NOT NULL CHECK (minutes BETWEEN 1 AND 120),
  set_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  CHECK (expires_at > set_at)
);

-- Screen sharing: the doctor always may; the patient once the doctor allowed it in this visit (a row here),
-- until the doctor withdraws it (the row is deleted).
CREATE TABLE visit_screen_share (
  appointment_id uuid PRIMARY KEY REFERENCES appointments (id) ON DELETE CASCADE,
  allowed_by uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  allowed_at timestamptz NOT NULL
);
