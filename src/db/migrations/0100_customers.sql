-- Customers (PRODUCT.md C1–C3) and their phone index.
-- Owned by src/modules/customers; other modules reference customers(id) only.

CREATE SEQUENCE customer_account_seq START 10001;

CREATE TABLE customers (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_number text NOT NULL,
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
  updated_by uuid
);
CREATE UNIQUE INDEX uq__customers__account_number ON customers (account_number);
CREATE UNIQUE INDEX uq__customers__email ON customers (lower(email)) WHERE email IS NOT NULL;

-- Every phone number of every customer: as typed, as E.164 (when it parses), and its digits.
CREATE TABLE customer_phones (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  position smallint NOT NULL,
  type text NOT NULL,
  raw text NOT NULL CHECK (length(raw) <= 64),
  e164 text,
  extension text,
  digits text NOT NULL,
  valid boolean NOT NULL
);
CREATE INDEX customer_phones_customer_idx ON customer_phones (customer_id, position);
CREATE INDEX customer_phones_e164_idx ON customer_phones (e164) WHERE e164 IS NOT NULL;
