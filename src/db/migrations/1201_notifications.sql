-- The per-user notification inbox (docs/agent-workflow.md). Owned by
-- src/modules/notifications. A notification waits here until its user reads
-- it, whether or not a console was open when it happened; it is also sent
-- live (the notification.created event).
CREATE TABLE notifications (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Order of writing; the inbox pages on it (keyset).
  seq bigint GENERATED ALWAYS AS IDENTITY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('case.assigned', 'case.unassigned', 'case.reply', 'mention', 'reminder', 'job.finished')),
  record_type text CHECK (length(record_type) <= 40),
  record_id uuid,
  title text NOT NULL CHECK (length(title) <= 500),
  payload jsonb NOT NULL DEFAULT '{}'::jsonb,
  read_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
-- A user's inbox, newest first.
CREATE INDEX notifications_user_idx ON notifications (user_id, seq DESC);
-- The unread count and "unread only".
CREATE INDEX notifications_user_unread_idx ON notifications (user_id, seq DESC) WHERE read_at IS NULL;
