-- Self-service (issue 25, point 7): a change of address proven by a link to the new address, and the closing of an
-- account by its holder.
--
-- A closed account is not deleted: its clinical record and the audit chain that names it stay, for the retention
-- period of a medical record (RECORD_RETENTION_YEARS, docs/decisions.md), which `retain_until` records at closing.
-- `closed_at` and `retain_until` are set together, once, with the status CLOSED; nothing reopens a closed account.
ALTER TABLE users DROP CONSTRAINT users_account_status_check;
ALTER TABLE users
  ADD CONSTRAINT users_account_status_check CHECK (account_status IN ('ACTIVE', 'SUSPENDED', 'CLOSED')),
  ADD COLUMN closed_at timestamptz,
  ADD COLUMN retain_until timestamptz,
  ADD CONSTRAINT users_closed_shape CHECK (
    (account_status = 'CLOSED') = (closed_at IS NOT NULL)
    AND (closed_at IS NULL) = (retain_until IS NULL)
    AND (retain_until IS NULL OR retain_until > closed_at)
  );

CREATE FUNCTION users_closed_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.account_status = 'CLOSED' AND (NEW.account_status <> 'CLOSED' OR NEW.closed_at IS DISTINCT FROM OLD.closed_at
      OR NEW.retain_until IS DISTINCT FROM OLD.retain_until OR NEW.email IS DISTINCT FROM OLD.email) THEN
    RAISE EXCEPTION 'a closed account stays closed' USING ERRCODE = '23514', CONSTRAINT = 'users_closed_is_final';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER users_closed_is_final BEFORE UPDATE OF account_status, closed_at, retain_until, email ON users
  FOR EACH ROW EXECUTE FUNCTION users_closed_is_final();

-- A change of address: the token goes to the new address, which it carries until it is used. The session that asked
-- is kept when the change takes effect (every other session of the account ends then).
ALTER TABLE email_tokens DROP CONSTRAINT email_tokens_purpose_check;
ALTER TABLE email_tokens
  ADD CONSTRAINT email_tokens_purpose_check CHECK (purpose IN ('VERIFY_EMAIL', 'RESET_PASSWORD', 'CHANGE_EMAIL')),
  ADD COLUMN new_email text CHECK (length(new_email) BETWEEN 3 AND 254),
  ADD COLUMN session_id uuid REFERENCES sessions (id) ON DELETE SET NULL,
  ADD CONSTRAINT email_tokens_new_email_shape CHECK ((purpose = 'CHANGE_EMAIL') = (new_email IS NOT NULL));
