-- Doctors' weekly availability, time off, and the Idempotency-Key store for booking.

-- Weekly rules are wall-clock times in the doctor's own time zone (doctors.timezone), stored as minutes
-- since local midnight, so they keep their local meaning across daylight-saving changes.
CREATE TABLE availability_rules (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  doctor_id uuid NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
  weekday smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
  start_minute integer NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
  end_minute integer NOT NULL CHECK (end_minute BETWEEN 1 AND 1440),
  CHECK (end_minute > start_minute)
);
CREATE INDEX availability_rules_doctor_idx ON availability_rules (doctor_id, weekday, start_minute);

CREATE TABLE doctor_time_off (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  doctor_id uuid NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  reason text CHECK (length(reason) <= 500),
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_at > starts_at)
);
CREATE INDEX doctor_time_off_doctor_idx ON doctor_time_off (doctor_id, starts_at, id);

-- One row per (user, key), claimed first thing in the booking's own transaction: a concurrent retry
-- with the same key waits on the primary key until the first commits (then replays) or rolls back
-- (then books itself). A key is therefore remembered exactly when its appointment commits.
CREATE TABLE idempotency_keys (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  request_hash text NOT NULL,
  status_code integer,
  response jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);
