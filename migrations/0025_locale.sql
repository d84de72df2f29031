-- Languages and time zones (issue 29): each account carries the language its mails, calendar texts and portal
-- are written in, and the IANA zone their times are shown in. The set of locales is the catalogues the server
-- ships (locales/*.json); the zone is checked against the runtime's IANA database by the API, not here, since a
-- database has no list of zones a server's Intl agrees with.
ALTER TABLE users
  ADD COLUMN locale text NOT NULL DEFAULT 'en' CHECK (locale IN ('en', 'de', 'es', 'ar')),
  ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC' CHECK (length(time_zone) BETWEEN 1 AND 64);

-- A doctor's working zone is the best guess of where they read their mail.
UPDATE users u SET time_zone = d.timezone FROM doctors d WHERE d.id = u.id;
