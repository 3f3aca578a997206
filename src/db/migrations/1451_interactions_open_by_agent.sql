-- GET /api/v1/interactions/open: an agent's ringing, active and wrap-up
-- interactions, read at every sign-in. Few rows per agent are ever open.
CREATE INDEX interactions_agent_open_idx ON interactions (agent_id, started_at DESC, id DESC)
  WHERE state <> 'closed' AND agent_id IS NOT NULL;
