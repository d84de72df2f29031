-- The in-portal notification list (issue 25, point 5): one row per recipient and event, read state per user,
-- announced over the WebSocket once (announced_at, claimed by whichever instance gets there first). Rows
-- point at what they concern (an appointment, a prescription, the other person) and never carry text: the
-- portal words them from the catalogue, so no medical content can be stored here.
CREATE TABLE user_notifications (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Newest first, keyset of the list; bumped when a conversation's unread entry gains a message.
  seq bigserial NOT NULL UNIQUE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN (
    'appointment.booked', 'appointment.confirmed', 'appointment.rescheduled', 'appointment.cancelled',
    'prescription.issued', 'message.received', 'waitlist.offer',
    'doctor.registered', 'doctor.verified', 'doctor.rejected')),
  appointment_id uuid REFERENCES appointments (id) ON DELETE CASCADE,
  prescription_id uuid REFERENCES prescriptions (id) ON DELETE CASCADE,
  -- Who it is about: the other party of an appointment, the prescribing doctor, the sender of the messages,
  -- the doctor of a waitlist offer, the doctor awaiting verification.
  person_id uuid REFERENCES users (id) ON DELETE CASCADE,
  -- Messages of one conversation collapse into one unread entry: how many it stands for.
  count integer NOT NULL DEFAULT 1 CHECK (count BETWEEN 1 AND 1000000),
  created_at timestamptz NOT NULL DEFAULT now(),
  read_at timestamptz,
  announced_at timestamptz,
  CONSTRAINT user_notifications_subject_check CHECK (
    CASE
      WHEN kind LIKE 'appointment.%' THEN appointment_id IS NOT NULL AND person_id IS NOT NULL AND prescription_id IS NULL
      WHEN kind = 'prescription.issued' THEN prescription_id IS NOT NULL AND person_id IS NOT NULL AND appointment_id IS NULL
      WHEN kind IN ('message.received', 'waitlist.offer', 'doctor.registered') THEN
        person_id IS NOT NULL AND appointment_id IS NULL AND prescription_id IS NULL
      ELSE person_id IS NULL AND appointment_id IS NULL AND prescription_id IS NULL
    END),
  CONSTRAINT user_notifications_collapse_check CHECK (count = 1 OR kind = 'message.received'),
  CONSTRAINT user_notifications_not_self CHECK (person_id IS DISTINCT FROM user_id)
);
-- The list, newest first, and the per-user cap: an index range scan.
CREATE INDEX user_notifications_user_seq_idx ON user_notifications (user_id, seq DESC);
-- The unread badge counts index entries of this user only (bounded by the per-user cap).
CREATE INDEX user_notifications_unread_idx ON user_notifications (user_id, seq DESC) WHERE read_at IS NULL;
-- One unread "new messages from X" entry per conversation.
CREATE UNIQUE INDEX user_notifications_unread_conversation_idx ON user_notifications (user_id, person_id)
  WHERE kind = 'message.received' AND read_at IS NULL;
-- The announcer claims what was not yet sent over the WebSocket.
CREATE INDEX user_notifications_unannounced_idx ON user_notifications (seq) WHERE announced_at IS NULL;
CREATE INDEX user_notifications_appointment_idx ON user_notifications (appointment_id) WHERE appointment_id IS NOT NULL;
CREATE INDEX user_notifications_prescription_idx ON user_notifications (prescription_id) WHERE prescription_id IS NOT NULL;
CREATE INDEX user_notifications_person_idx ON user_notifications (person_id) WHERE person_id IS NOT NULL;

-- The message digest (issue 25, point 5): one row per recipient. due_at is set when a message arrives and no
-- digest is pending (never sooner than one delay after the last digest), cleared when the digest is sent or
-- found unnecessary; covered_seq is the last message a digest considered, so no message is counted twice.
CREATE TABLE message_digests (
  recipient_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  due_at timestamptz,
  covered_seq bigint NOT NULL DEFAULT 0,
  sent_at timestamptz
);
CREATE INDEX message_digests_due_idx ON message_digests (due_at) WHERE due_at IS NOT NULL;

