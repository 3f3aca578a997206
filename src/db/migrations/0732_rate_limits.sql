-- API rate limits shared by every server process: requests counted per key
-- (an API key, a user, an address) in fixed windows. Each process adds its
-- counts in batches (src/http/rate-limit.ts); old windows are deleted.
CREATE TABLE rate_limit_counters (
  key text NOT NULL,
  window_start bigint NOT NULL, -- milliseconds since the epoch
  count integer NOT NULL,
  PRIMARY KEY (key, window_start)
);
