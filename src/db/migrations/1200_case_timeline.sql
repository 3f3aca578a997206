-- One timeline per case (docs/agent-workflow.md): an interaction linked to a
-- case is written on the case's timeline as a follow-up of kind call or chat
-- once it is closed (the wrap-up notes are then final).
--
-- case_follow_ups.interaction: the facts of the interaction a follow-up records
-- ({id, channel, durationSeconds, disposition, notes}); null for other follow-ups.
ALTER TABLE case_follow_ups ADD COLUMN interaction jsonb;

-- interactions.transcript: the chat transcript the platform posted (once), as text.
-- interactions.case_follow_up_id: the follow-up that put the interaction on its
-- case's timeline (written once; a deleted case clears it).
ALTER TABLE interactions ADD COLUMN transcript text CHECK (length(transcript) <= 1000000);
ALTER TABLE interactions ADD COLUMN transcript_at timestamptz;
ALTER TABLE interactions ADD COLUMN case_follow_up_id uuid REFERENCES case_follow_ups (id) ON DELETE SET NULL;
CREATE INDEX interactions_case_follow_up_idx ON interactions (case_follow_up_id) WHERE case_follow_up_id IS NOT NULL;
