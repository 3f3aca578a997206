-- Canned replies (docs/canned-replies.md). Owned by src/modules/canned-replies.
-- A canned reply is staff-written text with placeholders, filled when it is
-- inserted into an email reply. A personal one belongs to its author
-- (owner_id); a shared one (owner_id NULL) is for everybody and is managed by
-- holders of cannedReplies.manageShared and by administrators.
CREATE TABLE canned_replies (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  owner_id uuid REFERENCES users (id) ON DELETE CASCADE,
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 120),
  body text NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  updated_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1
);
-- One title per scope (the shared list, or one user's own), whatever the case.
CREATE UNIQUE INDEX uq__canned_replies__title
  ON canned_replies (COALESCE(owner_id, '00000000-0000-0000-0000-000000000000'::uuid), lower(title));
-- A user's own replies.
CREATE INDEX canned_replies_owner_idx ON canned_replies (owner_id) WHERE owner_id IS NOT NULL;

-- The cannedReplies.manageShared privilege: supervisors (administrators hold every privilege).
UPDATE role_privileges SET privileges = array_append(privileges, 'cannedReplies.manageShared'), version = version + 1
  WHERE role IN ('admin', 'supervisor') AND NOT ('cannedReplies.manageShared' = ANY (privileges));
