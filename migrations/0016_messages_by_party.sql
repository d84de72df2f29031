-- FHIR Communication search (and Patient/$everything) page over one party's messages across all of
-- their threads, newest first, keyset on seq: a doctor's (doctor_id) or a patient's (patient_id).
-- messages_pair_seq_idx serves one thread only; without these, every page would sort all of the
-- party's messages. A doctor's search for one patient still uses the pair index.
CREATE INDEX messages_patient_seq_idx ON messages (patient_id, seq DESC);
CREATE INDEX messages_doctor_seq_idx ON messages (doctor_id, seq DESC);
