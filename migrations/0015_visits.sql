-- Video visits: who is in which visit right now, shared by every instance. A participant is one socket
-- (connection_id) on one instance; a rejoin from another socket replaces the row. Rows of an instance
-- that died stop being refreshed and are swept once heartbeat_at is stale.

CREATE TABLE visit_presence (
  appointment_id uuid NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  connection_id uuid NOT NULL,
  instance_id uuid NOT NULL,
  joined_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (appointment_id, user_id)
);
-- A closing socket removes its rows; an instance refreshes its own rows.
CREATE INDEX visit_presence_connection_idx ON visit_presence (connection_id);
CREATE INDEX visit_presence_instance_idx ON visit_presence (instance_id);
CREATE INDEX visit_presence_heartbeat_idx ON visit_presence (heartbeat_at);
