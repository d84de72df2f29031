-- Slots are at least 10 minutes long (contract: PATCH /doctors/me). Doctors who chose 5 get 10: a
-- shorter slot made a 31-day window thousands of slots long.
UPDATE doctors SET slot_minutes = 10 WHERE slot_minutes < 10;
ALTER TABLE doctors DROP CONSTRAINT doctors_slot_minutes_check;
ALTER TABLE doctors ADD CONSTRAINT doctors_slot_minutes_check CHECK (slot_minutes BETWEEN 10 AND 480);
