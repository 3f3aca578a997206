import type { Queryable } from '../../db/adapter.js';

export interface FaqRow {
  id: string;
  title: string;
  body: string;
  category: string;
  published: boolean;
  published_at: Date | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

/** A list's row: the body cut short (enough for an excerpt), and the sort key the cursor carries. */
export interface FaqListRow extends FaqRow {
  /** lower(title) for the title order; the rank (float8) for a search. */
  sort_key: string | number | null;
}

const COLUMNS = 'id, title, body, category, published, published_at, created_at, updated_at, version';
const LIST_COLUMNS =
  'id, title, left(body, 2000) AS body, category, published, published_at, created_at, updated_at, version';

export interface FaqFilter {
  /** Drafts are left out (the Support Center, and staff without faqs.manage). */
  publishedOnly: boolean;
  /** Only published (true) or only drafts (false). */
  published?: boolean;
  category?: string;
  /** A web-search query (websearch_to_tsquery): "phrases", -without, or. */
  q?: string;
  /** An any-of query built by the service (to_tsquery syntax). */
  anyOf?: string;
}

/**
 * The orders a list may take, and its cursor: `updated` newest first ([updatedAt, id]),
 * `title` A–Z ([lower(title), id]), `rank` best match first ([rank, id]; needs q or anyOf).
 */
export type FaqOrder = 'updated' | 'title' | 'rank';

/** One page of articles (`limit` rows; ask for one more to know whether another page follows). */
export async function listArticles(
  q: Queryable,
  f: FaqFilter,
  order: FaqOrder,
  after: [string | number, string] | null,
  limit: number,
): Promise<FaqListRow[]> {
  const params: unknown[] = [];
  const add = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const where: string[] = [];
  if (f.publishedOnly) where.push('published');
  if (f.published !== undefined) where.push(f.published ? 'published' : 'NOT published');
  if (f.category !== undefined) where.push(`lower(category) = lower(${add(f.category)})`);
  let query: string | null = null;
  if (f.q !== undefined) query = `websearch_to_tsquery('english', ${add(f.q)})`;
  else if (f.anyOf !== undefined) query = `to_tsquery('english', ${add(f.anyOf)})`;
  if (query) where.push(`search @@ ${query}`);

  const sortKey =
    order === 'rank' && query ? `ts_rank(search, ${query})::float8` : order === 'title' ? 'lower(title)' : 'NULL::text';
  const inner = `SELECT ${LIST_COLUMNS}, ${sortKey} AS sort_key FROM faq_articles${
    where.length ? ` WHERE ${where.join(' AND ')}` : ''
  }`;
  let outerWhere = '';
  let orderBy: string;
  if (order === 'rank' && query) {
    if (after) outerWhere = ` WHERE (sort_key, id) < (${add(after[0])}::float8, ${add(after[1])}::uuid)`;
    orderBy = 'sort_key DESC, id DESC';
  } else if (order === 'title') {
    if (after) outerWhere = ` WHERE (sort_key, id) > (${add(after[0])}::text, ${add(after[1])}::uuid)`;
    orderBy = 'sort_key, id';
  } else {
    if (after) outerWhere = ` WHERE (updated_at, id) < (${add(after[0])}::timestamptz, ${add(after[1])}::uuid)`;
    orderBy = 'updated_at DESC, id DESC';
  }
  return q.query<FaqListRow>(`SELECT * FROM (${inner}) a${outerWhere} ORDER BY ${orderBy} LIMIT ${add(limit)}`, params);
}

/** The categories that hold published articles, A–Z (the first 500), with how many each holds. */
export async function publishedCategories(q: Queryable): Promise<{ name: string; articles: number }[]> {
  return q.query<{ name: string; articles: number }>(
    `SELECT min(category) AS name, count(*) AS articles FROM faq_articles
      WHERE published GROUP BY lower(category) ORDER BY lower(category) LIMIT 500`,
  );
}

export async function findArticle(q: Queryable, id: string, lock = false): Promise<FaqRow | null> {
  const rows = await q.query<FaqRow>(`SELECT ${COLUMNS} FROM faq_articles WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [
    id,
  ]);
  return rows[0] ?? null;
}

export async function insertArticle(
  q: Queryable,
  a: { title: string; body: string; category: string; published: boolean; by: string | null; now: Date },
): Promise<FaqRow> {
  const rows = await q.query<FaqRow>(
    `INSERT INTO faq_articles (title, body, category, published, published_at, created_by, updated_by, created_at, updated_at)
     VALUES ($1, $2, $3, $4, CASE WHEN $4 THEN $6::timestamptz END, $5, $5, $6, $6) RETURNING ${COLUMNS}`,
    [a.title, a.body, a.category, a.published, a.by, a.now],
  );
  return rows[0];
}

export async function updateArticle(
  q: Queryable,
  id: string,
  a: { title: string; body: string; category: string; published: boolean; by: string | null; now: Date },
): Promise<FaqRow> {
  const rows = await q.query<FaqRow>(
    `UPDATE faq_articles SET title = $2, body = $3, category = $4,
            published_at = CASE WHEN $5 AND NOT published THEN $7::timestamptz ELSE published_at END,
            published = $5, updated_by = $6, updated_at = $7, version = version + 1
      WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, a.title, a.body, a.category, a.published, a.by, a.now],
  );
  return rows[0];
}

export async function deleteArticle(q: Queryable, id: string): Promise<void> {
  await q.query('DELETE FROM faq_articles WHERE id = $1', [id]);
}
