-- Each case's first staff response and its number of staff responses (public
-- follow-ups written by a user), kept on the case by a trigger on follow-ups so
-- the reports and the case list read one column instead of probing follow-ups
-- per case (bench/reports-bench.ts: the per-case probe dominated the cases
-- report). Follow-ups are append-only and leave only with their case, so the
-- insert trigger is the whole story. Part of the cases module.
ALTER TABLE cases ADD COLUMN first_response_at timestamptz;
ALTER TABLE cases ADD COLUMN staff_responses integer NOT NULL DEFAULT 0;

UPDATE cases c SET first_response_at = f.first_at, staff_responses = f.n
FROM (SELECT case_id, min(created_at) AS first_at, count(*)::int AS n FROM case_follow_ups
      WHERE author_type = 'user' AND visibility = 'public' GROUP BY case_id) f
WHERE f.case_id = c.id;

CREATE FUNCTION sb_case_staff_response() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE cases SET
    first_response_at = CASE WHEN first_response_at IS NULL OR NEW.created_at < first_response_at
                             THEN NEW.created_at ELSE first_response_at END,
    staff_responses = staff_responses + 1
  WHERE id = NEW.case_id;
  RETURN NULL;
END
$$;
CREATE TRIGGER case_follow_ups_staff_response AFTER INSERT ON case_follow_ups
  FOR EACH ROW WHEN (NEW.author_type = 'user' AND NEW.visibility = 'public')
  EXECUTE FUNCTION sb_case_staff_response();

-- Open cases still waiting for a first response (the wallboard's breach tile).
CREATE INDEX cases_open_unanswered_idx ON cases (opened_at) WHERE is_open AND first_response_at IS NULL;
