-- Issue 16, defect 8: a message onto an existing case from someone who is not
-- the case's customer (nor an address already on its thread) is kept as an
-- internal follow-up flagged "unverified sender". Such a message does not put
-- its sender on the thread.
ALTER TABLE email_messages ADD COLUMN unverified_sender boolean NOT NULL DEFAULT false;
