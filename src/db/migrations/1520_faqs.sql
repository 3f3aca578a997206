-- FAQ articles of the Support Center (docs/email-and-support-center.md, "FAQ
-- articles"). Owned by src/modules/faqs. Staff write an article in Markdown;
-- the server renders and sanitises it on every read, so only `body` (the
-- Markdown) is stored. A published article is shown to everybody in the
-- Support Center; a draft only to holders of faqs.manage.
CREATE TABLE faq_articles (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  body text NOT NULL CHECK (length(body) BETWEEN 1 AND 50000),
  category text NOT NULL CHECK (length(category) BETWEEN 1 AND 80),
  published boolean NOT NULL DEFAULT false,
  -- When it was last published (kept while unpublished: shown again on re-publishing).
  published_at timestamptz,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  updated_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  -- Full-text search: the title weighs more than the body.
  search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english'::regconfig, title), 'A') ||
    setweight(to_tsvector('english'::regconfig, category), 'B') ||
    setweight(to_tsvector('english'::regconfig, body), 'C')
  ) STORED
);
CREATE INDEX faq_articles_search_idx ON faq_articles USING gin (search);
-- The staff list (most recently changed first).
CREATE INDEX faq_articles_updated_idx ON faq_articles (updated_at DESC, id DESC);
-- The Support Center's lists: published articles by title, within a category or all of them.
CREATE INDEX faq_articles_published_title_idx ON faq_articles (lower(title), id) WHERE published;
CREATE INDEX faq_articles_published_category_idx ON faq_articles (lower(category), lower(title), id) WHERE published;

-- The faqs.manage privilege: administrators (who hold every privilege anyway; listed for the roles screen).
UPDATE role_privileges SET privileges = array_append(privileges, 'faqs.manage'), version = version + 1
  WHERE role = 'admin' AND NOT ('faqs.manage' = ANY (privileges));
