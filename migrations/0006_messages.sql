-- Messages between a doctor and a patient, one thread per pair, plus the cross-instance event spill table.

CREATE TABLE messages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Insertion order: the keyset of every history page and of read receipts ("up to").
  seq bigserial NOT NULL UNIQUE,
  doctor_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  patient_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  sender_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  recipient_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  body text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 5000),
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  read_at timestamptz,
  CONSTRAINT messages_participants_check CHECK (
    doctor_id <> patient_id
    AND ((sender_id = doctor_id AND recipient_id = patient_id) OR (sender_id = patient_id AND recipient_id = doctor_id))
  )
);
-- History of one pair, newest first: an index range scan whose cost does not depend on the page's depth.
CREATE INDEX messages_pair_seq_idx ON messages (doctor_id, patient_id, seq DESC);
-- Unread counts and "mark read up to": only unread rows are indexed.
CREATE INDEX messages_unread_idx ON messages (recipient_id, sender_id, seq) WHERE read_at IS NULL;

-- One row per thread that has at least one message: the conversation list pages over last_seq.
CREATE TABLE conversations (
  doctor_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  patient_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  last_message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  last_seq bigint NOT NULL,
  PRIMARY KEY (doctor_id, patient_id)
);
CREATE INDEX conversations_doctor_idx ON conversations (doctor_id, last_seq DESC);
CREATE INDEX conversations_patient_idx ON conversations (patient_id, last_seq DESC);

-- Real-time events too large for a NOTIFY payload (8000 bytes) are stored here and notified by id.
CREATE TABLE realtime_events (
  id bigserial PRIMARY KEY,
  payload text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX realtime_events_created_idx ON realtime_events (created_at);
