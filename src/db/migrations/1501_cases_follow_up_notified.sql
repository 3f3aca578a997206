-- The Notify option of a follow-up (docs/agent-workflow.md): the addresses the
-- follow-up was emailed to when it was added. Empty for every older one.
ALTER TABLE case_follow_ups ADD COLUMN notified text[] NOT NULL DEFAULT '{}';
