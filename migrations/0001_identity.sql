-- Identity, sessions, mail outbox and the audit trail: the foundation every module stands on.

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  username text NOT NULL CHECK (username ~ '^[a-z0-9_.]{3,32}$'),
  email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
  password_hash text NOT NULL,
  firstname text NOT NULL CHECK (length(firstname) BETWEEN 1 AND 100),
  lastname text NOT NULL CHECK (length(lastname) BETWEEN 1 AND 100),
  role text NOT NULL CHECK (role IN ('PATIENT', 'DOCTOR', 'ADMIN')),
  email_verified_at timestamptz,
  account_status text NOT NULL DEFAULT 'ACTIVE' CHECK (account_status IN ('ACTIVE', 'SUSPENDED')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- Case-insensitive uniqueness lives in the database, so concurrent registrations cannot both win.
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_role_created_idx ON users (role, created_at, id);

-- A patient's and a doctor's id is their user's id: one identifier per person across the API.
CREATE TABLE patients (
  id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  date_of_birth date NOT NULL,
  gender text NOT NULL CHECK (gender IN ('female', 'male', 'other', 'unknown')),
  medical_history text NOT NULL DEFAULT '' CHECK (length(medical_history) <= 20000),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE doctors (
  id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  specialization text NOT NULL CHECK (length(specialization) BETWEEN 1 AND 100),
  license_number text NOT NULL CHECK (length(license_number) BETWEEN 1 AND 64),
  bio text NOT NULL DEFAULT '' CHECK (length(bio) <= 5000),
  timezone text NOT NULL,
  slot_minutes integer NOT NULL DEFAULT 30 CHECK (slot_minutes BETWEEN 5 AND 480),
  auto_confirm boolean NOT NULL DEFAULT false,
  min_notice_minutes integer NOT NULL DEFAULT 60 CHECK (min_notice_minutes BETWEEN 0 AND 43200),
  max_advance_days integer NOT NULL DEFAULT 90 CHECK (max_advance_days BETWEEN 1 AND 730),
  verification_status text NOT NULL DEFAULT 'PENDING' CHECK (verification_status IN ('PENDING', 'VERIFIED', 'REJECTED')),
  verification_note text,
  verified_at timestamptz,
  verified_by uuid REFERENCES users (id),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX doctors_verification_idx ON doctors (verification_status, id);

-- One row per login; its refresh tokens form the rotation family that reuse detection revokes.
CREATE TABLE sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  revoked_reason text
);
CREATE INDEX sessions_user_idx ON sessions (user_id) WHERE revoked_at IS NULL;

CREATE TABLE refresh_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  token_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  spent_at timestamptz
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

CREATE TABLE email_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  purpose text NOT NULL CHECK (purpose IN ('VERIFY_EMAIL', 'RESET_PASSWORD')),
  token_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX email_tokens_user_idx ON email_tokens (user_id, purpose) WHERE used_at IS NULL;

-- Failed logins, counted per account and per client address over a sliding window; shared by every instance.
CREATE TABLE login_failures (
  id bigserial PRIMARY KEY,
  account_key text NOT NULL,
  ip text NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_account_idx ON login_failures (account_key, at);
CREATE INDEX login_failures_ip_idx ON login_failures (ip, at);

-- Mail is written here in the transaction that causes it; a worker delivers it with retries.
CREATE TABLE mail_outbox (
  id bigserial PRIMARY KEY,
  kind text NOT NULL,
  recipient text NOT NULL,
  subject text NOT NULL,
  text_body text NOT NULL,
  html_body text,
  created_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz,
  sent_at timestamptz,
  last_error text
);
CREATE INDEX mail_outbox_pending_idx ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL;

-- The audit trail. Append-only: the trigger below refuses UPDATE, DELETE and TRUNCATE for everyone.
CREATE TABLE audit_events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq bigserial NOT NULL UNIQUE,
  at timestamptz NOT NULL DEFAULT now(),
  actor_id uuid,
  actor_role text,
  action text NOT NULL,
  resource_type text NOT NULL,
  resource_id text,
  patient_id uuid,
  outcome text NOT NULL CHECK (outcome IN ('SUCCESS', 'FAILURE', 'DENIED')),
  ip text,
  request_id text
);
CREATE INDEX audit_events_patient_idx ON audit_events (patient_id, seq) WHERE patient_id IS NOT NULL;
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, seq);
CREATE INDEX audit_events_action_idx ON audit_events (action, seq);
CREATE INDEX audit_events_at_idx ON audit_events (at, seq);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = '42501';
END;
$$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
