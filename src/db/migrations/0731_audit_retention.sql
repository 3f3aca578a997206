-- The audit trail absorbs the sign-in audit (one place to read, one export),
-- and keeps its lines for a retention the administrator sets.

INSERT INTO audit_log (at, actor_id, actor_name, actor_kind, action, target_type, target_id, ip, details)
SELECT s.at, s.user_id, s.email, CASE WHEN s.user_id IS NULL THEN 'anonymous' ELSE 'user' END,
       CASE WHEN s.outcome = 'success' THEN 'auth.signin' ELSE 'auth.signin_failed' END,
       'user', s.user_id::text, s.ip,
       CASE WHEN s.outcome = 'success' THEN jsonb_build_object('email', s.email)
            ELSE jsonb_build_object('email', s.email, 'reason', s.outcome) END
FROM signin_audit s ORDER BY s.id;
DROP TABLE signin_audit;

-- The retention in days ('audit.retentionDays' in settings); NULL or missing:
-- kept for ever. Fewer than 30 days is never applied.
CREATE FUNCTION sb_audit_retention_days() RETURNS integer LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN jsonb_typeof(value) = 'number' AND (value #>> '{}')::numeric >= 30
              THEN (value #>> '{}')::numeric::integer END
  FROM settings WHERE key = 'audit.retentionDays'
$$;

-- Still append-only: every UPDATE is refused, and so is every DELETE except
-- the retention prune's, which runs with a transaction-local flag and only
-- reaches lines older than the retention.
CREATE FUNCTION sb_audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  days integer;
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('switchboard.audit_prune', true) = 'on' THEN
    days := sb_audit_retention_days();
    IF days IS NOT NULL AND OLD.at < now() - make_interval(days => days) THEN
      RETURN OLD;
    END IF;
  END IF;
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'P0001';
END
$$;
DROP TRIGGER audit_log_append_only ON audit_log;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION sb_audit_log_guard();

-- The one way lines leave the trail; answers how many did.
CREATE FUNCTION sb_prune_audit_log() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  days integer := sb_audit_retention_days();
  n bigint;
BEGIN
  IF days IS NULL THEN
    RETURN 0;
  END IF;
  PERFORM set_config('switchboard.audit_prune', 'on', true);
  DELETE FROM audit_log WHERE at < now() - make_interval(days => days);
  GET DIAGNOSTICS n = ROW_COUNT;
  PERFORM set_config('switchboard.audit_prune', 'off', true);
  RETURN n;
END
$$;

CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id, at DESC);
