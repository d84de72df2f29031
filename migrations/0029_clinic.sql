-- The clinic's own identity (issue 25, point 6): one row of settings an admin edits (name, address, phone,
-- contact address, logo, brand colours, the mail footer), read by the portal, every mail, the invitations'
-- ORGANIZER and the prescription PDF. And what a pharmacist needs to check a printed prescription: a
-- verification code per prescription, and an optional strength per item (the items are jsonb: nothing to
-- alter; an item without one stays valid).

CREATE TABLE clinic_settings (
  -- One row, always: the CHECK and the primary key allow no second one, and the row is inserted here.
  id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  name text NOT NULL DEFAULT 'Telecare' CHECK (char_length(name) BETWEEN 1 AND 100),
  address_lines text[] NOT NULL DEFAULT '{}' CHECK (cardinality(address_lines) <= 5),
  phone text CHECK (char_length(phone) BETWEEN 1 AND 40),
  contact_email text CHECK (char_length(contact_email) BETWEEN 3 AND 254),
  -- Lower-case #rrggbb; the contrast rule (white text on it, WCAG AA 4.5:1) is the service's.
  primary_color text CHECK (primary_color ~ '^#[0-9a-f]{6}$'),
  accent_color text CHECK (accent_color ~ '^#[0-9a-f]{6}$'),
  mail_footer text CHECK (char_length(mail_footer) BETWEEN 1 AND 1000),
  -- The logo as re-encoded by the service (metadata stripped, pixels bounded); its hash is the ETag.
  logo bytea CHECK (octet_length(logo) <= 1048576),
  logo_type text CHECK (logo_type IN ('image/png', 'image/jpeg')),
  logo_sha256 text CHECK (logo_sha256 ~ '^[0-9a-f]{64}$'),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  CHECK ((logo IS NULL) = (logo_type IS NULL) AND (logo IS NULL) = (logo_sha256 IS NULL))
);
INSERT INTO clinic_settings (id) VALUES (1);

-- The code a pharmacist types: upper-case letters and digits, unique. The service gives each new prescription
-- 16 characters of Crockford base32 (80 random bits). The default, which also fills every prescription issued
-- before this migration (a volatile default is evaluated per row), is 20 hex digits of two random UUIDs (80
-- random bits: each UUID's version nibble is skipped).
ALTER TABLE prescriptions
  ADD COLUMN verification_code text NOT NULL
    DEFAULT upper(substr(replace(gen_random_uuid()::text, '-', ''), 1, 12) || substr(replace(gen_random_uuid()::text, '-', ''), 1, 8))
    CONSTRAINT prescriptions_verification_code_format CHECK (verification_code ~ '^[0-9A-Z]{16,32}$');
CREATE UNIQUE INDEX prescriptions_verification_code_key ON prescriptions (verification_code);
