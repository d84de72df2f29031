-- The audit chain, built after commit by one sequencer instead of inside every audited transaction.
--
-- Before: a trigger took the one chain-head row lock on every insert and held it until the request's
-- transaction ended, so audited requests ran one at a time across every instance. Now:
--
--   * a request inserts its event unchained, with no shared lock: a BEFORE INSERT trigger draws the
--     event's one `seq`, records the inserting transaction's id (`xid`) and seals the event's own
--     content hash (SHA-256 over its canonical fields, `xid` and `seq` included);
--   * the sequencer (audit_chain_batch below, called by any instance; a transaction-level advisory lock
--     lets one run at a time) appends committed events to the chain, one link per event in audit_chain,
--     in (xid, seq) order and only below the oldest transaction still running (the snapshot's xmin):
--     no running transaction can insert below that horizon, so nothing can ever be inserted into the
--     part of the order already chained. No gap, no fork, whatever the instances and crashes: a batch is
--     one transaction, and a sequencer that dies mid-batch leaves nothing behind.
--
-- audit_events is strictly insert-only from here on (0001's trigger refuses UPDATE for everyone, the
-- sequencer included): the links live in their own insert-only table, written only by the table owner
-- (the SECURITY DEFINER function), never by the role that serves requests.

DROP TRIGGER audit_events_chain ON audit_events;
DROP FUNCTION audit_events_chain();

-- The links. Events chained by 0014's trigger keep their hashes (the v1 form: the previous hash and the
-- event's fields, seq included); their position is their rank in seq order, which was the v1 chain order.
CREATE TABLE audit_chain (
  chain_seq bigint PRIMARY KEY CHECK (chain_seq > 0),
  -- No foreign key: its check would lock (and so write to) every chained event's row; verify joins instead.
  event_id uuid NOT NULL UNIQUE,
  prev_hash text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$')
);
INSERT INTO audit_chain (chain_seq, event_id, prev_hash, hash)
  SELECT row_number() OVER (ORDER BY seq), id, prev_hash, hash FROM audit_events;

-- xid: the inserting transaction (pg_current_xact_id, epoch-extended, never wraps), as bigint so it
-- indexes and compares like any number. Events chained by 0014 get 0: they come first in (xid, seq) order.
ALTER TABLE audit_events ADD COLUMN xid bigint NOT NULL DEFAULT 0, ADD COLUMN content_hash text;
ALTER TABLE audit_events ALTER COLUMN xid DROP DEFAULT;
ALTER TABLE audit_events DROP COLUMN prev_hash, DROP COLUMN hash;

-- The head: the last link (seq is its chain position, hash its hash), the (xid, seq) of the last chained
-- event (the sequencer's cursor) and the horizon: every event whose xid is below it is chained.
ALTER TABLE audit_chain_head
  ADD COLUMN last_xid bigint NOT NULL DEFAULT 0,
  ADD COLUMN last_seq bigint NOT NULL DEFAULT 0,
  ADD COLUMN horizon bigint NOT NULL DEFAULT 0;
UPDATE audit_chain_head SET
  seq = (SELECT count(*) FROM audit_chain),
  last_seq = COALESCE((SELECT max(seq) FROM audit_events), 0);

-- The event's own hash: every field the trail shows, plus xid and seq, which fix its place in the order.
CREATE FUNCTION audit_content_hash(e audit_events) RETURNS text LANGUAGE sql STABLE SET search_path = pg_catalog, public AS $$
  SELECT encode(sha256(convert_to(
    'telecare-audit-event-v2'
    || '|' || audit_chain_field(e.id::text)
    || '|' || audit_chain_field(e.xid::text)
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

-- One link: the previous hash, the chain position and the event's content hash.
CREATE FUNCTION audit_link_hash(prev text, pos bigint, content text) RETURNS text LANGUAGE sql IMMUTABLE
  SET search_path = pg_catalog, public AS $$
  SELECT encode(sha256(convert_to(
    'telecare-audit-v2' || '|' || audit_chain_field(prev) || '|' || audit_chain_field(pos::text) || '|' || audit_chain_field(content),
    'UTF8')), 'hex')
$$;

-- Sealing at insert: whatever a writer supplies for seq, xid or content_hash is replaced. seq has no
-- default any more, so each event draws exactly one value (0014's trigger drew a second one under its
-- lock: every other number was skipped). Gaps left now are rolled-back transactions' events and, after
-- a server crash, the sequence's unlogged cache (up to 32 values).
ALTER TABLE audit_events ALTER COLUMN seq DROP DEFAULT;
CREATE FUNCTION audit_events_seal() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
BEGIN
  NEW.seq := nextval('audit_events_seq_seq'::regclass);
  NEW.xid := pg_current_xact_id()::text::bigint;
  NEW.content_hash := audit_content_hash(NEW);
  RETURN NEW;
END;
$$;
CREATE TRIGGER audit_events_seal BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_seal();

-- Writes reserved to the table's owner: the links and the head move only through audit_chain_batch
-- (SECURITY DEFINER, so current_user is the owner inside it), whatever privileges a role was granted.
CREATE FUNCTION audit_owner_only() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
BEGIN
  IF NOT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
    RAISE EXCEPTION '% on % is reserved to the audit sequencer', TG_OP, TG_TABLE_NAME USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER audit_chain_owner_only BEFORE INSERT ON audit_chain FOR EACH ROW EXECUTE FUNCTION audit_owner_only();
CREATE TRIGGER audit_chain_no_update BEFORE UPDATE OR DELETE ON audit_chain
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_chain_head_owner_only BEFORE INSERT OR UPDATE ON audit_chain_head
  FOR EACH ROW EXECUTE FUNCTION audit_owner_only();

-- The sequencer's one privileged act: chain up to max_events committed events, in (xid, seq) order,
-- below the horizon. -1 when another sequencer holds the role (the advisory lock) right now.
CREATE FUNCTION audit_chain_batch(max_events integer) RETURNS integer
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  h audit_chain_head;
  v_horizon bigint;
  r record;
  n integer := 0;
BEGIN
  IF max_events IS NULL OR max_events < 1 OR max_events > 100000 THEN
    RAISE EXCEPTION 'max_events must be between 1 and 100000' USING ERRCODE = '22023';
  END IF;
  IF NOT pg_try_advisory_xact_lock(727002) THEN
    RETURN -1;
  END IF;
  -- Taken before anything is read: every transaction with a smaller id has ended, so the set of events
  -- below it is final.
  v_horizon := pg_snapshot_xmin(pg_current_snapshot())::text::bigint;
  SELECT * INTO h FROM audit_chain_head FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'audit chain head is missing' USING ERRCODE = '55000';
  END IF;
  FOR r IN
    SELECT e.id, e.xid, e.seq, e.content_hash FROM audit_events e
    WHERE e.xid >= h.last_xid AND e.xid < v_horizon AND (e.xid, e.seq) > (h.last_xid, h.last_seq)
    ORDER BY e.xid, e.seq
    LIMIT max_events
  LOOP
    h.seq := h.seq + 1;
    INSERT INTO audit_chain (chain_seq, event_id, prev_hash, hash)
      VALUES (h.seq, r.id, h.hash, audit_link_hash(h.hash, h.seq, r.content_hash))
      RETURNING hash INTO h.hash;
    h.last_xid := r.xid;
    h.last_seq := r.seq;
    n := n + 1;
  END LOOP;
  -- A full batch may have stopped inside a transaction's events: only the ids below its xid are complete.
  IF n = max_events THEN
    v_horizon := h.last_xid;
  END IF;
  IF n > 0 OR v_horizon > h.horizon THEN
    UPDATE audit_chain_head SET seq = h.seq, hash = h.hash, last_xid = h.last_xid, last_seq = h.last_seq,
      horizon = greatest(h.horizon, v_horizon);
  END IF;
  RETURN n;
END;
$$;
REVOKE ALL ON FUNCTION audit_chain_batch(integer) FROM PUBLIC;

-- The sequencer's query: the committed events past its cursor, in (xid, seq) order.
CREATE INDEX audit_events_xid_idx ON audit_events (xid, seq);
-- The admin trail's time filter: a BRIN (a few pages, next to nothing per insert) instead of a B-tree
-- over (at, seq); events are appended in time order, so block ranges and times correlate. The action
-- filter walks the seq index newest first (it is always paged by seq), so its own index is dropped.
DROP INDEX audit_events_at_idx;
CREATE INDEX audit_events_at_brin ON audit_events USING brin (at);
DROP INDEX audit_events_action_idx;

-- Nobody but the owner writes the links or the head, whatever a deployment grants.
DO $$
BEGIN
  REVOKE ALL ON audit_chain, audit_chain_head FROM PUBLIC;
  EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_chain FROM %I', current_user);
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'audit_chain privileges not revoked (%); the triggers still apply', SQLERRM;
END;
$$;
