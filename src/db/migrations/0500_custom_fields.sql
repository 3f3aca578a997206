-- Custom fields (docs/product.md C4, K2): the administrator's field definitions per
-- object type. Values live in each record's `custom_fields` jsonb column (owned by
-- the customers, cases and tasks modules); src/modules/custom-fields validates them
-- and creates the per-field indexes (filter, unique, search) at run time, named
--   cf__<table>__<key>       filterable fields (btree expression, or GIN for multiPick)
--   uq__<table>__cf_<key>    unique fields (customers only; a clash is a 409 naming customFields.<key>)
--   cfs__<table>__<key>      searchable fields (pg_trgm GIN on lower(value))

-- One row per object type: serialises definition changes of that type (the
-- 64-active-fields cap holds under concurrency) and versions the whole set.
CREATE TABLE custom_field_sets (
  object_type text PRIMARY KEY CHECK (object_type IN ('customer', 'case', 'followUp', 'task')),
  version bigint NOT NULL DEFAULT 1
);
INSERT INTO custom_field_sets (object_type) VALUES ('customer'), ('case'), ('followUp'), ('task');

CREATE TABLE custom_fields (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  object_type text NOT NULL REFERENCES custom_field_sets (object_type),
  -- Stable: the key in every record's custom_fields; never changes once created.
  key text NOT NULL CHECK (key ~ '^[a-z][a-zA-Z0-9_]{0,39}$'),
  label text NOT NULL CHECK (length(label) BETWEEN 1 AND 32),
  help_text text NOT NULL DEFAULT '' CHECK (length(help_text) <= 500),
  type text NOT NULL CHECK (type IN ('text', 'longText', 'number', 'decimal', 'date', 'dateTime', 'boolean',
                                      'singlePick', 'multiPick', 'phone', 'email', 'url')),
  -- Pick-list options, in display order: [{key, label, retired}]; keys are stable.
  options jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(options) = 'array'),
  required boolean NOT NULL DEFAULT false,
  -- The value applied on create when none is given; NULL: no default.
  default_value jsonb,
  unique_values boolean NOT NULL DEFAULT false CHECK (NOT unique_values OR object_type = 'customer'),
  filterable boolean NOT NULL DEFAULT false,
  searchable boolean NOT NULL DEFAULT false,
  position integer NOT NULL DEFAULT 0,
  -- Retired: hidden from forms, refuses new values, values kept; does not count towards the cap.
  retired boolean NOT NULL DEFAULT false,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  created_by uuid,
  updated_by uuid
);
-- Keys are unique per object type (a clash is a 409 naming `key`).
CREATE UNIQUE INDEX uq__custom_fields__key ON custom_fields (object_type, key);
CREATE INDEX custom_fields_order_idx ON custom_fields (object_type, position, key);

-- The keys present in a custom_fields object. IMMUTABLE (it only reads its
-- argument), so it can index: "does any record have a value for field k?" is an
-- index lookup (type changes and deletes ask it) instead of a scan of the table.
-- Indexing the keys only keeps the index small (a jsonb_ops GIN over the whole
-- object would index every value too: about as large as the table).
CREATE FUNCTION sb_custom_field_keys(fields jsonb) RETURNS text[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT CASE WHEN jsonb_typeof(fields) = 'object'
                    THEN ARRAY(SELECT jsonb_object_keys(fields)) ELSE '{}'::text[] END $$;

-- A custom field's value for the filter indexes and the conditions that use them
-- (src/modules/custom-fields/indexes.ts): as text (custom_fields ->> key), as a
-- date, or as a UTC timestamp (values are stored as validated ISO strings).
-- - Typed dates and times give the planner linear histograms: its estimate of a
--   one-week range is then right, where text histograms were off up to fivefold.
-- - The declared COST stands for reaching a row and extracting its value: with
--   the operator's default the planner walked the list's name index filtering
--   ~20,000 rows (120–230 ms) rather than take a one-day range's ~2,700 matches
--   from the field's index (10 ms); at 1000 it takes the field's index for
--   ranges up to ~0.5 % of the table and still walks for wider ones and for
--   common values, where the walk is the faster plan (measured on 1M customers,
--   PostgreSQL 15 defaults). plpgsql, so the cost is kept (a SQL function would
--   be inlined and lose it).
-- - PARALLEL UNSAFE: a list query filtered on a custom field never goes parallel
--   (on small machines a parallel walk of the list's order index was 10–30 times
--   slower than collecting the matches from the field's index).
CREATE FUNCTION sb_cf_text(fields jsonb, key text) RETURNS text
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL UNSAFE COST 1000
  AS $$ BEGIN RETURN fields ->> key; END $$;

CREATE FUNCTION sb_cf_date(fields jsonb, key text) RETURNS date
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL UNSAFE COST 1000
  AS $$
DECLARE
  v text := fields ->> key;
BEGIN
  IF v IS NULL OR v !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN RETURN NULL; END IF;
  RETURN make_date(substr(v, 1, 4)::int, substr(v, 6, 2)::int, substr(v, 9, 2)::int);
END
$$;

CREATE FUNCTION sb_cf_timestamp(fields jsonb, key text) RETURNS timestamp
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL UNSAFE COST 1000
  AS $$
DECLARE
  v text := fields ->> key;
BEGIN
  IF v IS NULL OR v !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]{1,6})?Z$' THEN
    RETURN NULL;
  END IF;
  RETURN make_timestamp(substr(v, 1, 4)::int, substr(v, 6, 2)::int, substr(v, 9, 2)::int,
                        substr(v, 12, 2)::int, substr(v, 15, 2)::int, substr(v, 18, length(v) - 18)::float8);
END
$$;

-- One per owning table (the map objectType → table is CUSTOM_FIELD_TABLES in
-- src/modules/custom-fields/tables.ts).
CREATE INDEX customers_cf_keys_idx ON customers USING gin (sb_custom_field_keys(custom_fields));
CREATE INDEX cases_cf_keys_idx ON cases USING gin (sb_custom_field_keys(custom_fields));
CREATE INDEX case_follow_ups_cf_keys_idx ON case_follow_ups USING gin (sb_custom_field_keys(custom_fields));
CREATE INDEX tasks_cf_keys_idx ON tasks USING gin (sb_custom_field_keys(custom_fields));
