-- The sequencer's horizon counts only this database's transactions.
--
-- 0020 took the horizon from the snapshot's xmin: the oldest transaction still running anywhere in the
-- PostgreSQL cluster. Transaction ids are cluster-wide, so a long write in another database of the same
-- server (a migration, a bulk load, another application) held this database's chain back for as long as
-- it ran, and `flush` (shutdown, the CLI, tests) waited on it. Measured: the server-engine test suite, whose
-- files share one cluster, saw batches chain 0 of 3 committed events and a 15-second flush time out.
--
-- Now the horizon is the oldest in-progress transaction of the snapshot that is not positively known to
-- belong to another database. Which database a running xid belongs to is read from pg_locks (every
-- transaction holds an ExclusiveLock on its own xid until it ends) joined to pg_stat_activity's datid;
-- both show these columns to every role, so the owner role needs no extra privilege. An xid not found
-- there (its lock not taken yet, or it ended in between) counts as this database's: the horizon can only
-- be lower than the truth, never higher, and the next pass moves it on.
CREATE OR REPLACE FUNCTION audit_chain_batch(max_events integer) RETURNS integer
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  h audit_chain_head;
  v_snap pg_snapshot;
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
  -- Taken before anything is read: every transaction of this database with a smaller id has ended, so
  -- the set of events below it is final.
  v_snap := pg_current_snapshot();
  SELECT least(pg_snapshot_xmax(v_snap)::text::bigint, min(x::text::bigint)) INTO v_horizon
    FROM pg_snapshot_xip(v_snap) AS x
    WHERE NOT EXISTS (
      SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' AND l.granted
        -- pg_locks shows the 32-bit xid; running xids are far fewer than 2^32 apart, so the low bits name one.
        AND l.transactionid::text::bigint = x::text::bigint % 4294967296
        AND a.datid IS DISTINCT FROM (SELECT oid FROM pg_database WHERE datname = current_database()));
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
