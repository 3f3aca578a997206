-- The screen pop (customers/store.ts lookupMatches) counts and lists a caller's
-- open cases. cases_customer_idx covers every case a customer ever had, so that
-- read fetched each closed case from the heap only to drop it; this index holds
-- only open cases, with visibility included, so the count is an index-only scan
-- and the list reads just the open cases it shows.
CREATE INDEX cases_customer_open_idx ON cases (customer_id, opened_at DESC, id DESC) INCLUDE (visibility)
  WHERE is_open;
