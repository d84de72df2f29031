-- The audit trail is append-only. 0001's triggers refuse UPDATE, DELETE and TRUNCATE for everyone;
-- revoking the privileges as well means a non-superuser application role is stopped before the
-- trigger even runs. The migrating role owns the table, so it may revoke its own privileges; where
-- the server refuses (a role without the grant option), the triggers still hold.
DO $$
BEGIN
  REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM PUBLIC;
  EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM %I', current_user);
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'audit_events privileges not revoked (%); the append-only triggers still apply', SQLERRM;
END;
$$;
