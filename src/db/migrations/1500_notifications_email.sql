-- Which kinds of notification a user also wants by email (docs/agent-workflow.md).
-- Owned by src/modules/notifications. No row means none: the inbox only.
CREATE TABLE notification_email_kinds (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  kinds text[] NOT NULL DEFAULT '{}'
    CHECK (kinds <@ ARRAY['case.assigned', 'case.unassigned', 'case.reply', 'mention', 'reminder', 'job.finished']::text[]),
  updated_at timestamptz NOT NULL DEFAULT now()
);
