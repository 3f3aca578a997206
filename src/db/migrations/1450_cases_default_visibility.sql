-- The visibility the New case form starts with, chosen by an administrator.
-- (The form falls back to public for a user who may not create private cases.)
ALTER TABLE case_settings
  ADD COLUMN default_visibility text NOT NULL DEFAULT 'private'
  CHECK (default_visibility IN ('public', 'private'));
