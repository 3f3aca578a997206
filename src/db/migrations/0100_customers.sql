-- Customers (docs/product.md C1–C3, C7) and their phone index.
-- Owned by src/modules/customers; other modules reference customers(id) only.

-- Account numbers: a sequence, shown as plain digits (easy to read out on a call
-- and to key in on an IVR). Imported records may bring their own.
CREATE SEQUENCE customer_account_seq START 10001;

CREATE TABLE customers (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_number text COLLATE "C" NOT NULL CHECK (length(account_number) BETWEEN 1 AND 40),
  first_name text CHECK (length(first_name) <= 100),
  last_name text CHECK (length(last_name) <= 100),
  company text CHECK (length(company) <= 200),
  email text CHECK (length(email) <= 254),
  notes text CHECK (length(notes) <= 20000),
  vip boolean NOT NULL DEFAULT false,
  draft boolean NOT NULL DEFAULT false,
  primary_address jsonb,
  secondary_address jsonb,
  custom_fields jsonb NOT NULL DEFAULT '{}'::jsonb,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  created_by uuid,
  updated_by uuid,
  -- A complete (non-draft) customer has both names.
  CONSTRAINT customers_names_unless_draft CHECK (draft OR (coalesce(first_name, '') <> '' AND coalesce(last_name, '') <> '')),
  -- Derived columns for search and sorting (C collation: the same order on both engines,
  -- and btree prefix scans for LIKE 'abc%').
  sort_name text COLLATE "C" NOT NULL
    GENERATED ALWAYS AS (lower(coalesce(last_name, '') || ' ' || coalesce(first_name, ''))) STORED,
  -- For ranking fuzzy matches (word_similarity against the query).
  search_name text NOT NULL
    GENERATED ALWAYS AS (lower(coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' || coalesce(company, ''))) STORED,
  -- The words of the names and company, lowercased (written by the store: see search-terms.ts).
  name_terms text[] COLLATE "C" NOT NULL DEFAULT '{}',
  email_key text COLLATE "C" GENERATED ALWAYS AS (lower(email)) STORED,
  postal_key1 text COLLATE "C"
    GENERATED ALWAYS AS (upper(regexp_replace(primary_address ->> 'postalCode', '[^A-Za-z0-9]', '', 'g'))) STORED,
  postal_key2 text COLLATE "C"
    GENERATED ALWAYS AS (upper(regexp_replace(secondary_address ->> 'postalCode', '[^A-Za-z0-9]', '', 'g'))) STORED
);
-- Account numbers are unique; the C collation also serves prefix search (q=1000…).
CREATE UNIQUE INDEX uq__customers__account_number ON customers (account_number);
-- Email is unique case-insensitively (C2); the same index serves exact and prefix search.
CREATE UNIQUE INDEX uq__customers__email ON customers (email_key) WHERE email_key IS NOT NULL;
-- List orders (keyset pagination: the sort key, then id).
CREATE INDEX customers_sort_name_idx ON customers (sort_name, id);
CREATE INDEX customers_created_idx ON customers (created_at, id);
CREATE INDEX customers_updated_idx ON customers (updated_at, id);
-- Name search: customers having a word (exact array containment, GIN).
CREATE INDEX customers_name_terms_idx ON customers USING gin (name_terms);
CREATE INDEX customers_postal1_idx ON customers (postal_key1) WHERE postal_key1 IS NOT NULL;
CREATE INDEX customers_postal2_idx ON customers (postal_key2) WHERE postal_key2 IS NOT NULL;

-- The next generated account number: skips numbers an import has already taken.
CREATE FUNCTION sb_next_account_number() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  candidate text;
BEGIN
  LOOP
    candidate := nextval('customer_account_seq')::text;
    EXIT WHEN NOT EXISTS (SELECT 1 FROM customers WHERE account_number = candidate);
  END LOOP;
  RETURN candidate;
END
$$;

-- Every phone number of every customer: as typed, as E.164 (when it parses), its
-- digits, and the digits reversed (a last-digits search is a btree prefix scan).
CREATE TABLE customer_phones (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  position smallint NOT NULL,
  type text NOT NULL CHECK (type IN ('voice', 'work', 'home', 'mobile', 'fax')),
  raw text NOT NULL CHECK (length(raw) <= 64),
  e164 text,
  extension text,
  digits text NOT NULL,
  valid boolean NOT NULL,
  digits_rev text COLLATE "C" NOT NULL GENERATED ALWAYS AS (reverse(digits)) STORED
);
CREATE INDEX customer_phones_customer_idx ON customer_phones (customer_id, position);
CREATE INDEX customer_phones_e164_idx ON customer_phones (e164) WHERE e164 IS NOT NULL;
CREATE INDEX customer_phones_digits_rev_idx ON customer_phones (digits_rev);

-- The search dictionary: every word of every customer's names and company, and
-- each word of 4+ letters with one letter left out. A typed word with one slip
-- (a letter missing, extra, wrong, or two swapped) shares one of these variants
-- with the word meant ("jmaes" and "james" both give "jaes"), so typo-tolerant
-- matching is a btree lookup; a trigram index on the words themselves adds the
-- pg_trgm similarity matches for longer words. Words are never deleted: a stale
-- word matches no customer. Matching customers are then found through
-- customers_name_terms_idx: a trigram scan over a million customers' names costs
-- tens of milliseconds, these lookups well under one.
CREATE TABLE customer_terms (
  variant text COLLATE "C" NOT NULL CHECK (length(variant) <= 100),
  term text COLLATE "C" NOT NULL CHECK (length(term) <= 100),
  PRIMARY KEY (variant, term)
);
CREATE INDEX customer_terms_trgm_idx ON customer_terms USING gin (term gin_trgm_ops) WHERE variant = term;

-- Per-user preferences (the customers list's columns and their order, …): key → JSON.
CREATE TABLE user_preferences (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  key text NOT NULL CHECK (length(key) <= 100),
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, key)
);
