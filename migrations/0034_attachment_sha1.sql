-- Attachments in FHIR (DocumentReference, Binary): R4 defines Attachment.hash as the SHA-1 of the data,
-- base64-encoded (http://hl7.org/fhir/R4/datatypes.html#Attachment). It is computed on upload beside the
-- SHA-256 already kept; PostgreSQL has no built-in SHA-1, so files stored before this migration have none
-- and their DocumentReference carries no hash.
ALTER TABLE attachments ADD COLUMN sha1 text CHECK (sha1 ~ '^[A-Za-z0-9+/]{27}=$');
