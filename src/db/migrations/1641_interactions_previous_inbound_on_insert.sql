-- The stored gap (migration 1640) of a new interaction, written with the row:
-- the statement trigger after the insert recomputed it and rewrote every new
-- inbound row (each index written twice), which made a bulk insert of 20,000
-- interactions about 4 times as long and a single call's insert about twice
-- (bench/RESULTS.md, "Reports"). The statement trigger still recomputes the new
-- rows under its per-caller locks and fixes the neighbours, but rewrites only
-- a row whose value differs: one whose earlier caller a concurrent transaction
-- committed meanwhile, or one preceded by a later row of the same statement.
CREATE FUNCTION sb_interactions_previous_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.direction = 'inbound' THEN
    NEW.previous_inbound_at := greatest(
      (SELECT max(j.started_at) FROM interactions j
       WHERE j.customer_id = NEW.customer_id AND j.direction = 'inbound' AND j.started_at < NEW.started_at),
      (SELECT max(j.started_at) FROM interactions j
       WHERE j.from_address = NEW.from_address AND j.direction = 'inbound' AND j.started_at < NEW.started_at));
  ELSE
    NEW.previous_inbound_at := NULL;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER interactions_previous_new BEFORE INSERT ON interactions
  FOR EACH ROW EXECUTE FUNCTION sb_interactions_previous_new();
