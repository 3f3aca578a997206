-- Live events (src/events): old events are pruned; a client resuming from an id
-- at or below the pruned watermark is told to reload (event: reset) instead of
-- silently missing what was deleted.
CREATE TABLE events_pruned (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  through_id bigint NOT NULL
);
INSERT INTO events_pruned (singleton, through_id) VALUES (true, 0);
