-- Webhooks (docs/webhooks.md, "Delivery"): a claim walks each enabled
-- endpoint's due deliveries in (next_attempt_at, id) order and stops after a
-- fixed number, so its cost follows what it claims, not the backlog. The
-- index over all endpoints is replaced: it made disabled endpoints' pending
-- deliveries part of every walk, and the planner read all of it (a bitmap scan
-- of every due row) whenever its statistics lagged a growing backlog.
CREATE INDEX webhook_deliveries_endpoint_due_idx ON webhook_deliveries (endpoint_id, next_attempt_at, id)
  WHERE state = 'pending';
DROP INDEX webhook_deliveries_due_idx;
