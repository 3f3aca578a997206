-- Files staff attach to a new follow-up (an internal note or an email reply).
-- Owned by src/modules/email, stored like inbound attachments (bytea), in a
-- sibling table because they belong to a follow-up rather than to a message.
-- An upload is pending (follow_up_id NULL) for its uploader and case until a
-- follow-up takes it or it expires (expires_at; a job deletes expired ones).
CREATE TABLE email_uploads (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  follow_up_id uuid REFERENCES case_follow_ups (id) ON DELETE CASCADE,
  uploaded_by uuid NOT NULL,
  position integer NOT NULL DEFAULT 0,
  filename text NOT NULL CHECK (length(filename) <= 255),
  content_type text NOT NULL CHECK (length(content_type) <= 255),
  size bigint NOT NULL,
  content bytea NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz
);
CREATE INDEX email_uploads_follow_up_idx ON email_uploads (follow_up_id, position) WHERE follow_up_id IS NOT NULL;
CREATE INDEX email_uploads_pending_idx ON email_uploads (expires_at) WHERE follow_up_id IS NULL;
CREATE INDEX email_uploads_case_idx ON email_uploads (case_id);

-- A rich-text reply's sanitised HTML part (the plain-text part is `body`).
ALTER TABLE email_outbox ADD COLUMN html text;
