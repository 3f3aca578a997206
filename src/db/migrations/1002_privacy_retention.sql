-- Retention of closed cases (src/modules/privacy/retention.ts, docs/exporting.md "Retention"):
-- the administrator's setting, and which cases the retention job has erased (so it never
-- erases one twice and can say what it did). Only the case number is kept: no erased data.
CREATE TABLE privacy_retention (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  closed_case_months integer CHECK (closed_case_months BETWEEN 1 AND 1200),
  version integer NOT NULL DEFAULT 1,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO privacy_retention (id, closed_case_months) VALUES (true, NULL);

CREATE TABLE privacy_case_erasures (
  case_id uuid PRIMARY KEY,
  case_number bigint NOT NULL,
  closed_at timestamptz NOT NULL,
  erased_at timestamptz NOT NULL,
  counts jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX privacy_case_erasures_erased_at_idx ON privacy_case_erasures (erased_at);
