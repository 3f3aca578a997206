-- The email channel (docs/product.md E1, E2, K3, F2). Owned by src/modules/email;
-- other modules go through EmailService. Follow-ups and cases are referenced,
-- never written here: a message leaves with its follow-up (and so its case).

-- Every message we received or sent, stored once. `dedupe_key` is the
-- Message-ID ("mid:<id>") or, when a message has none, a hash of its content
-- ("sha256:<hex>"): a message delivered twice is stored once.
CREATE TABLE email_messages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  direction text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  dedupe_key text NOT NULL CHECK (length(dedupe_key) <= 1100),
  -- The Message-ID without angle brackets, lower-cased (threading matches on it).
  message_id text CHECK (length(message_id) <= 1000),
  in_reply_to text CHECK (length(in_reply_to) <= 1000),
  reference_ids text[] NOT NULL DEFAULT '{}',
  case_id uuid REFERENCES cases (id) ON DELETE CASCADE,
  follow_up_id uuid REFERENCES case_follow_ups (id) ON DELETE CASCADE,
  from_address text,
  subject text,
  text_body text,
  -- Sanitised HTML (no scripts, handlers or javascript: links; remote images blocked).
  html_body text,
  remote_images_blocked boolean NOT NULL DEFAULT false,
  -- The message as received or sent, for "view source".
  raw bytea,
  envelope jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX uq__email_messages__dedupe_key ON email_messages (dedupe_key);
CREATE INDEX email_messages_message_id_idx ON email_messages (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX email_messages_follow_up_idx ON email_messages (follow_up_id);
CREATE INDEX email_messages_case_idx ON email_messages (case_id, created_at);

-- Attachments of stored messages. Content over the size limit is not kept
-- here (omitted = true); the raw message still holds it.
CREATE TABLE email_attachments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  message_id uuid NOT NULL REFERENCES email_messages (id) ON DELETE CASCADE,
  position integer NOT NULL,
  filename text NOT NULL CHECK (length(filename) <= 255),
  content_type text NOT NULL CHECK (length(content_type) <= 255),
  content_id text CHECK (length(content_id) <= 1000),
  inline boolean NOT NULL DEFAULT false,
  size bigint NOT NULL,
  omitted boolean NOT NULL DEFAULT false,
  content bytea
);
CREATE INDEX email_attachments_message_idx ON email_attachments (message_id, position);

-- Messages that could not be taken in (too big a structure, unparseable, a
-- store failure): kept with the reason until an administrator retries them.
CREATE TABLE email_quarantine (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  dedupe_key text NOT NULL CHECK (length(dedupe_key) <= 1100),
  reason text NOT NULL CHECK (length(reason) <= 2000),
  status text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'resolved')),
  source text NOT NULL CHECK (source IN ('smtp', 'http')),
  envelope jsonb NOT NULL DEFAULT '{}'::jsonb,
  subject text,
  from_address text,
  size integer NOT NULL,
  raw bytea NOT NULL,
  deliveries integer NOT NULL DEFAULT 1,
  attempts integer NOT NULL DEFAULT 1,
  resolved_case_id uuid,
  resolved_follow_up_id uuid,
  received_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX uq__email_quarantine__dedupe_key ON email_quarantine (dedupe_key);
CREATE INDEX email_quarantine_list_idx ON email_quarantine (status, received_at DESC, id DESC);

-- Outgoing mail: agent replies, Support Center credentials and password
-- resets. A row is written in the transaction of what it announces and sent
-- by a poller that claims rows with FOR UPDATE SKIP LOCKED.
CREATE TABLE email_outbox (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind text NOT NULL CHECK (kind IN ('reply', 'credentials', 'passwordReset', 'notification')),
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
  case_id uuid REFERENCES cases (id) ON DELETE CASCADE,
  follow_up_id uuid REFERENCES case_follow_ups (id) ON DELETE CASCADE,
  email_message_id uuid REFERENCES email_messages (id) ON DELETE CASCADE,
  message_id text NOT NULL,
  from_address text NOT NULL,
  to_addresses text[] NOT NULL,
  cc_addresses text[] NOT NULL DEFAULT '{}',
  bcc_addresses text[] NOT NULL DEFAULT '{}',
  subject text NOT NULL,
  body text NOT NULL,
  in_reply_to text,
  reference_ids text[] NOT NULL DEFAULT '{}',
  -- Credentials and reset links: the body is blanked once sent or given up.
  sensitive boolean NOT NULL DEFAULT false,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  -- PGlite (one process) claims by lease instead of holding a transaction over the SMTP call.
  lease_until timestamptz,
  last_error text,
  sent_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_outbox_due_idx ON email_outbox (next_attempt_at) WHERE status = 'queued';
CREATE INDEX email_outbox_follow_up_idx ON email_outbox (follow_up_id) WHERE follow_up_id IS NOT NULL;
CREATE INDEX email_outbox_list_idx ON email_outbox (status, created_at DESC, id DESC);
CREATE INDEX email_outbox_created_idx ON email_outbox (created_at DESC, id DESC);
