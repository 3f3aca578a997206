import type { Clock } from '../../clock.js';
import { inTransaction, type Db, type Queryable } from '../../db/adapter.js';
import { can, requirePrivilege, type Actor } from '../../http/actor.js';
import { Conflict, Invalid, NotFound } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import { decodeCursor, keysetPage, type Page } from '../../http/pagination.js';
import type { PortalService } from '../portal/service.js';
import { excerptOf, renderArticle } from './markdown.js';
import type {
  FaqArticle,
  FaqArticleSummary,
  FaqCreate,
  FaqListQuery,
  FaqPatch,
  PortalFaqArticle,
  PortalFaqCategory,
  PortalFaqListQuery,
  PortalFaqSuggestQuery,
  PortalFaqSummary,
} from './schema.js';
import {
  deleteArticle,
  findArticle,
  insertArticle,
  listArticles,
  publishedCategories,
  updateArticle,
  type FaqFilter,
  type FaqListRow,
  type FaqOrder,
  type FaqRow,
} from './store.js';

interface FaqDeps {
  /** The Support Center's public address, for the articles' links. */
  portal: Pick<PortalService, 'portalUrl'>;
}

const DEFAULT_LIMIT = 50;
/** How many words of a subject count for suggestions. */
const SUGGEST_WORDS = 12;

/**
 * FAQ articles (docs/email-and-support-center.md, "FAQ articles"). Staff with faqs.manage
 * write them; every signed-in staff member reads the published ones (and a manager the drafts
 * too). The Support Center shows published articles to anybody: a draft there is a 404, as if
 * it did not exist.
 */
export class FaqsService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly deps: FaqDeps,
  ) {}

  // ---------------------------------------------------------------- staff

  /** Newest change first; with `q`, best match first. Drafts only for faqs.manage. */
  async list(actor: Actor, query: FaqListQuery): Promise<Page<FaqArticleSummary>> {
    const filter: FaqFilter = {
      publishedOnly: !can(actor, 'faqs.manage'),
      published: query.published,
      category: cleanOptional(query.category),
      q: cleanOptional(query.q),
    };
    return this.page(filter, filter.q ? 'rank' : 'updated', query, (r) => this.toSummary(r));
  }

  async get(actor: Actor, id: string, tx?: Queryable): Promise<FaqArticle> {
    const row = await this.readable(tx ?? this.db, actor, id);
    return this.toArticle(row);
  }

  async create(actor: Actor, input: FaqCreate, tx?: Queryable): Promise<FaqArticle> {
    requirePrivilege(actor, 'faqs.manage');
    const fields = {
      title: cleanTitle(input.title),
      body: cleanBody(input.body),
      category: cleanCategory(input.category),
      published: input.published === true,
    };
    return inTransaction(this.db, tx, async (q) =>
      this.toArticle(await insertArticle(q, { ...fields, by: actor.userId, now: this.clock.now() })),
    );
  }

  async update(
    actor: Actor,
    id: string,
    patch: FaqPatch,
    expectedVersion: number,
    tx?: Queryable,
  ): Promise<FaqArticle> {
    requirePrivilege(actor, 'faqs.manage');
    const title = patch.title === undefined ? undefined : cleanTitle(patch.title);
    const body = patch.body === undefined ? undefined : cleanBody(patch.body);
    const category = patch.category === undefined ? undefined : cleanCategory(patch.category);
    return inTransaction(this.db, tx, async (q) => {
      const row = await this.readable(q, actor, id, true);
      if (row.version !== expectedVersion) throw Conflict.stale(this.toArticle(row));
      const next = await updateArticle(q, row.id, {
        title: title ?? row.title,
        body: body ?? row.body,
        category: category ?? row.category,
        published: patch.published ?? row.published,
        by: actor.userId,
        now: this.clock.now(),
      });
      return this.toArticle(next);
    });
  }

  async remove(actor: Actor, id: string, expectedVersion: number | null, tx?: Queryable): Promise<void> {
    requirePrivilege(actor, 'faqs.manage');
    await inTransaction(this.db, tx, async (q) => {
      const row = await this.readable(q, actor, id, true);
      if (expectedVersion !== null && row.version !== expectedVersion) throw Conflict.stale(this.toArticle(row));
      await deleteArticle(q, row.id);
    });
  }

  /** Markdown rendered as the Support Center would show it (the editor's preview). */
  preview(actor: Actor, markdown: string): { html: string } {
    requirePrivilege(actor, 'faqs.manage');
    return { html: renderArticle(markdown) };
  }

  // ---------------------------------------------------------------- the Support Center

  /** Published articles A–Z (within a category), or with `q` best match first. */
  async portalList(query: PortalFaqListQuery): Promise<Page<PortalFaqSummary>> {
    const filter: FaqFilter = {
      publishedOnly: true,
      category: cleanOptional(query.category),
      q: cleanOptional(query.q),
    };
    return this.page(filter, filter.q ? 'rank' : 'title', query, toPortalSummary);
  }

  async portalCategories(): Promise<PortalFaqCategory[]> {
    return publishedCategories(this.db);
  }

  /** A published article; a draft, a deleted article and an unknown id are the same 404. */
  async portalGet(id: string): Promise<PortalFaqArticle> {
    const row = isUuid(id) ? await findArticle(this.db, id) : null;
    if (!row || !row.published) throw new NotFound('FAQ article');
    return {
      id: row.id,
      title: row.title,
      category: row.category,
      html: renderArticle(row.body),
      updatedAt: row.updated_at.toISOString(),
    };
  }

  /**
   * The published articles that best match a new case's subject as the customer types it: any
   * of its words counts (the last one as a prefix while it is being typed), best match first.
   */
  async suggest(query: PortalFaqSuggestQuery): Promise<PortalFaqSummary[]> {
    const anyOf = anyOfQuery(query.subject);
    if (!anyOf) return [];
    const rows = await listArticles(this.db, { publishedOnly: true, anyOf }, 'rank', null, query.limit ?? 5);
    return rows.map(toPortalSummary);
  }

  // ---------------------------------------------------------------- helpers

  private async page<T>(
    filter: FaqFilter,
    order: FaqOrder,
    query: { limit?: number; cursor?: string },
    toItem: (row: FaqListRow) => T,
  ): Promise<Page<T>> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    let after: [string | number, string] | null = null;
    if (query.cursor) {
      const key = order === 'rank' ? 'number' : order === 'title' ? 'string' : 'date';
      const [value, id] = decodeCursor(query.cursor, [key, 'string']) as [string | number, string];
      if (!isUuid(id)) throw new Invalid([{ field: 'cursor', message: 'not a cursor from this list' }]);
      after = [value, id];
    }
    const rows = await listArticles(this.db, filter, order, after, limit + 1);
    return keysetPage(
      rows,
      limit,
      (last) => [order === 'updated' ? last.updated_at.toISOString() : last.sort_key, last.id],
      toItem,
    );
  }

  /** An article the caller may read: any for faqs.manage, else only a published one. */
  private async readable(q: Queryable, actor: Actor, id: string, lock = false): Promise<FaqRow> {
    const row = isUuid(id) ? await findArticle(q, id, lock) : null;
    if (!row || (!row.published && !can(actor, 'faqs.manage'))) throw new NotFound('FAQ article');
    return row;
  }

  private publicUrl(id: string): string {
    return this.deps.portal.portalUrl(`/faq/${id}`);
  }

  private toArticle(r: FaqRow): FaqArticle {
    return {
      id: r.id,
      title: r.title,
      body: r.body,
      bodyHtml: renderArticle(r.body),
      category: r.category,
      published: r.published,
      publishedAt: r.published_at?.toISOString() ?? null,
      publicUrl: this.publicUrl(r.id),
      createdAt: r.created_at.toISOString(),
      updatedAt: r.updated_at.toISOString(),
      version: r.version,
    };
  }

  private toSummary(r: FaqListRow): FaqArticleSummary {
    return {
      id: r.id,
      title: r.title,
      category: r.category,
      published: r.published,
      publishedAt: r.published_at?.toISOString() ?? null,
      excerpt: excerptOf(r.body),
      publicUrl: this.publicUrl(r.id),
      updatedAt: r.updated_at.toISOString(),
      version: r.version,
    };
  }
}

function toPortalSummary(r: FaqListRow): PortalFaqSummary {
  return {
    id: r.id,
    title: r.title,
    category: r.category,
    excerpt: excerptOf(r.body),
    updatedAt: r.updated_at.toISOString(),
  };
}

/**
 * A subject as an any-of text query (to_tsquery syntax): its words (letters and digits only, so
 * nothing the customer types can be an operator) joined with `|`; a last word still being typed
 * (no space after it yet, three letters or more) matches as a prefix. Null without words.
 */
function anyOfQuery(subject: string): string | null {
  const words = subject.match(/[\p{L}\p{N}]+/gu) ?? [];
  const unique = [...new Set(words.map((w) => w.toLowerCase().slice(0, 64)))].slice(0, SUGGEST_WORDS);
  if (unique.length === 0) return null;
  const typing = /[\p{L}\p{N}]$/u.test(subject);
  const last = words[words.length - 1].toLowerCase().slice(0, 64);
  return unique.map((w) => (typing && w === last && w.length >= 3 ? `${w}:*` : w)).join(' | ');
}

function cleanOptional(s: string | undefined): string | undefined {
  const t = s?.trim();
  return t ? t : undefined;
}

function cleanTitle(title: string): string {
  const t = title.trim();
  if (!t) throw new Invalid([{ field: 'title', message: 'must not be blank' }]);
  return t;
}

function cleanBody(body: string): string {
  if (!body.trim()) throw new Invalid([{ field: 'body', message: 'must not be blank' }]);
  return body;
}

function cleanCategory(category: string): string {
  const c = category.trim().replace(/\s+/g, ' ');
  if (!c) throw new Invalid([{ field: 'category', message: 'must not be blank' }]);
  return c;
}
