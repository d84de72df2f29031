-- The public doctor directory filters on two tables (users: name, account status; doctors: verification,
-- specialization, bio) and sorts by name, so no index could serve it across the join and every request
-- scanned and sorted all doctors. Triggers keep what the directory needs on the doctors row itself:
--   dir_listed    verified credentials and an active account (exactly the "bookable" rule);
--   dir_lastname, dir_firstname   the sort key, copied from users (same collation, same order as before);
--   dir_search    "first last" <US> specialization <US> bio, for the `q` substring match.
-- The fields are joined by U+001F, a control character `q` may not contain, so a match never spans two
-- fields: `dir_search ILIKE '%q%'` is exactly "first, last, full name, specialization or bio ILIKE".
CREATE EXTENSION IF NOT EXISTS pg_trgm;

ALTER TABLE doctors
  ADD COLUMN dir_listed boolean NOT NULL DEFAULT false,
  ADD COLUMN dir_lastname text NOT NULL DEFAULT '',
  ADD COLUMN dir_firstname text NOT NULL DEFAULT '',
  ADD COLUMN dir_search text NOT NULL DEFAULT '';

CREATE FUNCTION doctors_directory_fill() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  u record;
BEGIN
  SELECT firstname, lastname, account_status INTO u FROM users WHERE id = NEW.id;
  -- No user row: leave the defaults and let the foreign key report the real error.
  IF FOUND THEN
    NEW.dir_listed := NEW.verification_status = 'VERIFIED' AND u.account_status = 'ACTIVE';
    NEW.dir_lastname := u.lastname;
    NEW.dir_firstname := u.firstname;
    NEW.dir_search := u.firstname || ' ' || u.lastname || chr(31) || NEW.specialization || chr(31) || NEW.bio;
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER doctors_directory BEFORE INSERT OR UPDATE ON doctors
  FOR EACH ROW EXECUTE FUNCTION doctors_directory_fill();

-- A renamed or suspended/reactivated user refreshes their doctor row (the trigger above recomputes it).
CREATE FUNCTION users_directory_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.role = 'DOCTOR' THEN
    UPDATE doctors SET dir_lastname = NEW.lastname WHERE id = NEW.id;
  END IF;
  RETURN NULL;
END;
$$;
CREATE TRIGGER users_directory AFTER UPDATE OF firstname, lastname, account_status ON users
  FOR EACH ROW
  WHEN (OLD.firstname IS DISTINCT FROM NEW.firstname OR OLD.lastname IS DISTINCT FROM NEW.lastname
        OR OLD.account_status IS DISTINCT FROM NEW.account_status)
  EXECUTE FUNCTION users_directory_sync();

UPDATE doctors SET dir_listed = dir_listed;

-- One directory page in name order straight from an index (the keyset is last name, first name, id) ...
CREATE INDEX doctors_directory_idx ON doctors (dir_lastname, dir_firstname, id) WHERE dir_listed;
-- ... also within one specialization (the filter is an exact, case-insensitive match) ...
CREATE INDEX doctors_directory_spec_idx ON doctors (lower(specialization), dir_lastname, dir_firstname, id) WHERE dir_listed;
-- ... and the `q` substring match through trigrams (GIN trigram indexes serve ILIKE '%q%').
CREATE INDEX doctors_directory_search_idx ON doctors USING gin (dir_search gin_trgm_ops) WHERE dir_listed;
ANALYZE doctors;
