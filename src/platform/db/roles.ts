// The server engine's roles (docs/deployment.md): an owner that migrates, an application role that
// serves requests, and a sequencer role that may only chain the audit trail. What the owner grants the
// two others, run as the owner after migrating (`npm run cli -- db grant`).
import pg from 'pg';

const ROLE = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The grants, as the owner, in one transaction:
 *  - the app role reads and writes the application's tables (now and those later migrations create),
 *    but on the audit trail only reads and INSERTs events: no UPDATE, DELETE or TRUNCATE of events, no
 *    write at all to the links or the head, and no EXECUTE of the chaining function;
 *  - the sequencer role may execute audit_chain_batch (which runs as the owner) and nothing else.
 * The triggers refuse the same writes whatever is granted; the grants stop them before a trigger runs.
 */
export function grantStatements(appRole: string, sequencerRole: string | null): string[] {
  for (const r of [appRole, sequencerRole]) if (r !== null && !ROLE.test(r)) throw new Error(`"${r}" is not a plain role name`);
  const app = `"${appRole}"`;
  const out = [
    `GRANT USAGE ON SCHEMA public TO ${app}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${app}`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${app}`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${app}`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${app}`,
    `REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_events FROM ${app}`,
    `REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_chain, audit_chain_head FROM ${app}`,
    `REVOKE ALL ON FUNCTION audit_chain_batch(integer) FROM ${app}`,
  ];
  if (sequencerRole) {
    const seq = `"${sequencerRole}"`;
    out.push(`GRANT USAGE ON SCHEMA public TO ${seq}`, `GRANT EXECUTE ON FUNCTION audit_chain_batch(integer) TO ${seq}`);
  }
  return out;
}

/** Runs grantStatements on the database at `ownerUrl` (the owner's connection). */
export async function grantServingRoles(ownerUrl: string, appRole: string, sequencerRole: string | null): Promise<void> {
  const statements = grantStatements(appRole, sequencerRole);
  const c = new pg.Client({ connectionString: ownerUrl });
  await c.connect();
  try {
    await c.query('BEGIN');
    for (const s of statements) await c.query(s);
    await c.query('COMMIT');
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    await c.end();
  }
}
