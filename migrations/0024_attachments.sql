-- Attachments (issue 28): photos and documents sent in messages. The bytes live in the database, in chunks
-- of at most 256 KiB (attachment_chunks), so that every instance of either engine serves every file, a
-- backup of the database holds them, and a download reads one chunk at a time (docs/decisions.md).
-- An upload is the uploader's alone until a message carries it (message_id, with the thread's patient and
-- doctor copied for the access condition); one no message carries is removed after ATTACHMENT_ORPHAN_TTL_MINUTES.

CREATE TABLE attachments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  uploader_id uuid NOT NULL REFERENCES users (id),
  -- The patient whose record the file belongs to: a patient's own upload at once, a doctor's once it is sent.
  patient_id uuid REFERENCES users (id),
  doctor_id uuid REFERENCES users (id),
  message_id uuid REFERENCES messages (id),
  file_name text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
  content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp', 'application/pdf')),
  size bigint NOT NULL CHECK (size > 0),
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  referenced_at timestamptz,
  CHECK ((message_id IS NULL) = (referenced_at IS NULL)),
  CHECK (message_id IS NULL OR (patient_id IS NOT NULL AND doctor_id IS NOT NULL))
);
-- The quota sums an uploader's sizes; the orphan sweep walks unreferenced uploads by age.
CREATE INDEX attachments_uploader_idx ON attachments (uploader_id);
CREATE INDEX attachments_orphan_idx ON attachments (created_at) WHERE message_id IS NULL;
CREATE INDEX attachments_message_idx ON attachments (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX attachments_patient_idx ON attachments (patient_id, created_at) WHERE message_id IS NOT NULL;

CREATE TABLE attachment_chunks (
  attachment_id uuid NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
  n integer NOT NULL CHECK (n >= 0),
  bytes bytea NOT NULL CHECK (length(bytes) BETWEEN 1 AND 262144),
  PRIMARY KEY (attachment_id, n)
);
-- JPEG, PNG, WebP and PDF are compressed already: kept out of line without another compression pass.
ALTER TABLE attachment_chunks ALTER COLUMN bytes SET STORAGE EXTERNAL;

-- A message may carry attachments and no text (its body is then empty); the service requires one or the other.
ALTER TABLE messages DROP CONSTRAINT messages_body_check;
ALTER TABLE messages ADD CONSTRAINT messages_body_check CHECK (char_length(body) <= 5000);
