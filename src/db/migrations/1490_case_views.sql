-- Saved case views (docs/case-views.md). Owned by src/modules/case-views.
-- A view is a named Cases list filter shown as a queue with its count: personal
-- (only its owner sees and changes it) or shared (everybody sees it; holders of
-- cases.sharedViews change it). `filter` holds the Cases list's own query
-- filters (GET /api/v1/cases), relative ones (notUpdatedForDays) kept relative.
CREATE TABLE case_views (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  shared boolean NOT NULL DEFAULT false,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
  filter jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(filter) = 'object'),
  sort text NOT NULL DEFAULT '-openedAt',
  position integer NOT NULL DEFAULT 0,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  updated_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1
);
-- One name per list (the shared views, or one user's own), whatever the case.
CREATE UNIQUE INDEX uq__case_views__name
  ON case_views ((CASE WHEN shared THEN '00000000-0000-0000-0000-000000000000'::uuid ELSE owner_id END), lower(name));
-- A user's own views; the shared ones.
CREATE INDEX case_views_owner_idx ON case_views (owner_id) WHERE NOT shared;
CREATE INDEX case_views_shared_idx ON case_views (position) WHERE shared;

-- The cases.sharedViews privilege: supervisors (administrators hold every privilege).
UPDATE role_privileges SET privileges = array_append(privileges, 'cases.sharedViews'), version = version + 1
  WHERE role IN ('admin', 'supervisor') AND NOT ('cases.sharedViews' = ANY (privileges));
