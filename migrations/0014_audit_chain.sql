-- Tamper-evident audit trail: every event carries the SHA-256 of its canonical fields and of the
-- previous event's hash. The chain is computed inside the database by a BEFORE INSERT trigger that
-- locks the one chain-head row, so every instance appends in one total order: a second writer waits
-- on the row lock until the first commits, then reads the head the first one left.
--
-- The lock is held until the writing transaction ends, so audited transactions serialise from their
-- first event to their commit. That is the price of a single order; `seq` is re-drawn under the lock,
-- so ascending `seq` is exactly the chain order (and the order in which events became visible).

ALTER TABLE audit_events ADD COLUMN prev_hash text, ADD COLUMN hash text;

CREATE TABLE audit_chain_head (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  seq bigint NOT NULL,
  hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$')
);

-- One field of the canonical form: its byte length, a colon and the text; '-' for NULL. Length
-- prefixes make the concatenation unambiguous whatever characters a field holds. The verifier
-- (src/modules/audit/chain.ts) rebuilds the same string independently.
CREATE FUNCTION audit_chain_field(v text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN v IS NULL THEN '-' ELSE octet_length(v)::text || ':' || v END
$$;

CREATE FUNCTION audit_chain_hash(prev text, e audit_events) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT encode(sha256(convert_to(
    'telecare-audit-v1'
    || '|' || audit_chain_field(prev)
    || '|' || audit_chain_field(e.id::text)
    || '|' || audit_chain_field(e.seq::text)
    || '|' || audit_chain_field(to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
    || '|' || audit_chain_field(e.actor_id::text)
    || '|' || audit_chain_field(e.actor_role)
    || '|' || audit_chain_field(e.action)
    || '|' || audit_chain_field(e.resource_type)
    || '|' || audit_chain_field(e.resource_id)
    || '|' || audit_chain_field(e.patient_id::text)
    || '|' || audit_chain_field(e.outcome)
    || '|' || audit_chain_field(e.ip)
    || '|' || audit_chain_field(e.request_id),
    'UTF8')), 'hex')
$$;

-- Chain the events written before this migration, in their append order, starting from the genesis
-- hash (64 zeros). The append-only guard is lifted for this one backfill inside the migration's
-- transaction and restored before it commits.
DO $$
DECLARE
  r audit_events;
  prev text := repeat('0', 64);
  last_seq bigint := 0;
BEGIN
  EXECUTE format('GRANT UPDATE ON audit_events TO %I', current_user);
  ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update;
  FOR r IN SELECT * FROM audit_events ORDER BY seq LOOP
    UPDATE audit_events SET prev_hash = prev, hash = audit_chain_hash(prev, r) WHERE id = r.id
      RETURNING hash INTO prev;
    last_seq := r.seq;
  END LOOP;
  ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update;
  EXECUTE format('REVOKE UPDATE ON audit_events FROM %I', current_user);
  INSERT INTO audit_chain_head (seq, hash) VALUES (last_seq, prev);
END;
$$;

ALTER TABLE audit_events ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN hash SET NOT NULL;

CREATE FUNCTION audit_events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  head audit_chain_head;
BEGIN
  SELECT * INTO head FROM audit_chain_head FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'audit chain head is missing' USING ERRCODE = '55000';
  END IF;
  NEW.seq := nextval(pg_get_serial_sequence('audit_events', 'seq'));
  NEW.prev_hash := head.hash;
  NEW.hash := audit_chain_hash(head.hash, NEW);
  UPDATE audit_chain_head SET seq = NEW.seq, hash = NEW.hash;
  RETURN NEW;
END;
$$;
CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_chain();

-- The head row is the chain's anchor: it may move forward (the trigger) but never disappear.
CREATE FUNCTION audit_chain_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_chain_head cannot be deleted (% refused)', TG_OP USING ERRCODE = '42501';
END;
$$;
CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE ON audit_chain_head
  FOR EACH ROW EXECUTE FUNCTION audit_chain_head_guard();
CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE ON audit_chain_head
  FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_head_guard();
