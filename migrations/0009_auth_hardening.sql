-- Forgot-password and resend-verification requests. The request path only appends a row here, the
-- same row whether or not the address has an account, so that its cost does not tell which addresses
-- are registered; a worker looks the address up, applies the cooldown, mints the token and queues the
-- mail afterwards (several instances share the rows with FOR UPDATE SKIP LOCKED). A row lives only
-- until it is handled.
CREATE TABLE auth_mail_requests (
  id bigserial PRIMARY KEY,
  purpose text NOT NULL CHECK (purpose IN ('VERIFY_EMAIL', 'RESET_PASSWORD')),
  email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
  ip text,
  request_id text,
  created_at timestamptz NOT NULL DEFAULT now()
);
