-- Webhooks (docs/webhooks.md, "Delivery"): room on each page of the delivery
-- log for a row's next version. A claim only sets `locked_until`, which no
-- index names: with room on its page the claim is a HOT update (no index
-- entry written, the row's new version beside the old one) instead of a new
-- entry in each of the table's five indexes. Applies to the pages written
-- from now on; the outcome write changes `state` and leaves the pending
-- indexes, so it is never HOT.
ALTER TABLE webhook_deliveries SET (fillfactor = 50);
