-- The cases report's percentiles (median and p90 of first response and of
-- resolution; docs/reports.md, "Speed") stay exact percentile_cont over every
-- case in range, so they read those cases. These indexes hold every column the
-- two statements read (the range column, the end time, the owner, and the
-- filter columns), so PostgreSQL can answer them with an index-only scan
-- instead of visiting the cases' rows (wide: subject, description, search
-- words) for a range of 90 days.
CREATE INDEX cases_report_first_response_idx ON cases (opened_at)
  INCLUDE (first_response_at, owner_id, visibility, channel, priority, severity, status, is_open);
CREATE INDEX cases_report_resolution_idx ON cases (closed_at)
  INCLUDE (opened_at, owner_id, visibility, channel, priority, severity, status, is_open)
  WHERE closed_at IS NOT NULL;
