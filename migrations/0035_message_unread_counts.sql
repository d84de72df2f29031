-- Issue 23: the conversation list's unread count read from a counter instead of counted. Counting the
-- unread rows of a thread costs in proportion to them (5–8 ms for 100,000); the counter is one row per
-- (recipient, sender), read by primary key whatever the thread holds.
--
-- The counter is kept by statement-level triggers on messages, in the transaction of the statement that
-- changes a message: every writer (the API's send and mark-read, a deleted account's cascade, SQL seeds of
-- benchmarks and fixtures) keeps it exact without knowing of it, and a mark-read of 100,000 rows changes
-- the counter once, from the statement's transition table, not 100,000 times (docs/decisions.md).
CREATE TABLE message_unread (
  recipient_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  sender_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- Messages from sender_id to recipient_id whose read_at is null. Never negative: a drift would be a bug,
  -- and the constraint makes it fail loudly in the statement that caused it.
  unread integer NOT NULL CHECK (unread >= 0),
  PRIMARY KEY (recipient_id, sender_id)
);

-- Adds `delta` to the counter of (recipient, sender). Only an increase may create the row: a decrease
-- always finds it (the unread rows it removes were counted), except while a deleted user's rows cascade
-- away, when inserting a row for that user would violate the foreign key.
CREATE FUNCTION message_unread_add(recipient uuid, sender uuid, delta integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF delta > 0 THEN
    INSERT INTO message_unread AS u (recipient_id, sender_id, unread) VALUES (recipient, sender, delta)
    ON CONFLICT (recipient_id, sender_id) DO UPDATE SET unread = u.unread + excluded.unread;
  ELSIF delta < 0 THEN
    UPDATE message_unread SET unread = unread + delta WHERE recipient_id = recipient AND sender_id = sender;
  END IF;
END $$;

-- One function for the three triggers: each reads only the transition tables its event has. Counters
-- are changed in key order, so two statements touching several of them cannot deadlock on each other.
CREATE FUNCTION message_unread_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  d record;
BEGIN
  IF TG_OP = 'INSERT' THEN
    FOR d IN SELECT recipient_id, sender_id, count(*)::int AS n FROM new_rows WHERE read_at IS NULL
              GROUP BY 1, 2 ORDER BY 1, 2 LOOP
      PERFORM message_unread_add(d.recipient_id, d.sender_id, d.n);
    END LOOP;
  ELSIF TG_OP = 'DELETE' THEN
    FOR d IN SELECT recipient_id, sender_id, count(*)::int AS n FROM old_rows WHERE read_at IS NULL
              GROUP BY 1, 2 ORDER BY 1, 2 LOOP
      PERFORM message_unread_add(d.recipient_id, d.sender_id, -d.n);
    END LOOP;
  ELSE
    -- An update: what became unread minus what stopped being unread, per (recipient, sender).
    FOR d IN SELECT recipient_id, sender_id, sum(n)::int AS n
               FROM (SELECT recipient_id, sender_id, 1 AS n FROM new_rows WHERE read_at IS NULL
                     UNION ALL
                     SELECT recipient_id, sender_id, -1 FROM old_rows WHERE read_at IS NULL) c
              GROUP BY 1, 2 HAVING sum(n) <> 0 ORDER BY 1, 2 LOOP
      PERFORM message_unread_add(d.recipient_id, d.sender_id, d.n);
    END LOOP;
  END IF;
  RETURN NULL;
END $$;

-- No writes to messages between the backfill and the triggers: both happen under this lock, which the
-- migration's transaction holds to its commit (a serving instance's sends wait for it).
LOCK TABLE messages IN SHARE ROW EXCLUSIVE MODE;

CREATE TRIGGER messages_unread_insert AFTER INSERT ON messages
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION message_unread_apply();
CREATE TRIGGER messages_unread_update AFTER UPDATE ON messages
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION message_unread_apply();
CREATE TRIGGER messages_unread_delete AFTER DELETE ON messages
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION message_unread_apply();

INSERT INTO message_unread (recipient_id, sender_id, unread)
SELECT recipient_id, sender_id, count(*) FROM messages WHERE read_at IS NULL GROUP BY 1, 2;
