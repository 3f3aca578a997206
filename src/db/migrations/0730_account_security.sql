-- Staff account protections: sessions that show where they are and end at an
-- absolute time, two-factor sign-in (TOTP and recovery codes), password
-- resets by email, the last use of API keys.

-- Sessions: a public id (the primary key is the token's hash and never leaves
-- the server), the device and address it was opened from, and a lifetime
-- that sliding never extends.
ALTER TABLE sessions ADD COLUMN public_id uuid NOT NULL DEFAULT gen_random_uuid();
ALTER TABLE sessions ADD COLUMN ip text;
ALTER TABLE sessions ADD COLUMN user_agent text CHECK (length(user_agent) <= 512);
ALTER TABLE sessions ADD COLUMN absolute_expires_at timestamptz;
UPDATE sessions SET absolute_expires_at = expires_at;
ALTER TABLE sessions ALTER COLUMN absolute_expires_at SET NOT NULL;
CREATE UNIQUE INDEX sessions_public_id_idx ON sessions (public_id);

-- A password was right but a second factor is still due: the challenge lives
-- a few minutes, counts its attempts, and becomes a session once answered.
CREATE TABLE signin_challenges (
  id text PRIMARY KEY, -- sha256 of the token in the short-lived cookie
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  ip text,
  user_agent text CHECK (length(user_agent) <= 512),
  attempts integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX signin_challenges_user_idx ON signin_challenges (user_id);

-- One TOTP authenticator per user. enabled_at NULL: enrolment started, not
-- confirmed with a code yet. last_step: the newest time step accepted, so a
-- code is never accepted twice.
CREATE TABLE user_totp (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  secret text NOT NULL,
  enabled_at timestamptz,
  last_step bigint,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Recovery codes, stored as SHA-256 (they are random, 80 bits): each works once.
CREATE TABLE user_recovery_codes (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash text NOT NULL,
  used_at timestamptz,
  PRIMARY KEY (user_id, code_hash)
);

-- Administrators require two-factor sign-in per role.
ALTER TABLE role_privileges ADD COLUMN require_two_factor boolean NOT NULL DEFAULT false;

-- Staff password resets: single-use tokens, stored hashed, short-lived.
CREATE TABLE staff_password_resets (
  token_hash text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX staff_password_resets_user_idx ON staff_password_resets (user_id);

-- Where an API key was last used from (last_used_at is written at most once a minute).
ALTER TABLE api_keys ADD COLUMN last_used_ip text;
