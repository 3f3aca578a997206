import { useCallback, useEffect, useState, type FormEvent } from 'react';
import {
  call,
  errorText,
  PortalError,
  type Page,
  type PortalFaqArticle,
  type PortalFaqCategory,
  type PortalFaqSummary,
} from './api.js';
import { Link, useFocusHeading } from './nav.js';

/**
 * The Support Center's FAQ (open to everybody, signed in or not): published articles by
 * category, a full-text search, one article's page, and the suggestions shown while a customer
 * types the subject of a new case.
 */

function faqUrl(params: { q?: string; category?: string; cursor?: string }): string {
  const s = new URLSearchParams({ limit: '20' });
  if (params.q) s.set('q', params.q);
  if (params.category) s.set('category', params.category);
  if (params.cursor) s.set('cursor', params.cursor);
  return `/api/portal/faqs?${s.toString()}`;
}

function ArticleList({ items, label }: { items: PortalFaqSummary[]; label: string }) {
  return (
    <ul className="cases faqs" aria-label={label}>
      {items.map((a) => (
        <li key={a.id}>
          <div>
            <Link to={`/portal/faq/${a.id}`}>{a.title}</Link>
            <div className="meta">{a.excerpt}</div>
          </div>
          <span className="meta">{a.category}</span>
        </li>
      ))}
    </ul>
  );
}

export function FaqHome() {
  const heading = useFocusHeading<HTMLHeadingElement>('faq');
  const [categories, setCategories] = useState<PortalFaqCategory[] | null>(null);
  const [category, setCategory] = useState<string | null>(null);
  const [typed, setTyped] = useState('');
  const [q, setQ] = useState('');
  const [page, setPage] = useState<Page<PortalFaqSummary> | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    call<{ items: PortalFaqCategory[] }>('GET', '/api/portal/faqs/categories').then(
      (r) => setCategories(r.items),
      (err) => setError(errorText(err)),
    );
  }, []);
  useEffect(() => {
    let stale = false;
    setPage(null);
    call<Page<PortalFaqSummary>>('GET', faqUrl({ q, category: category ?? undefined })).then(
      (r) => !stale && setPage(r),
      (err) => !stale && setError(errorText(err)),
    );
    return () => {
      stale = true;
    };
  }, [q, category]);

  const search = (e: FormEvent) => {
    e.preventDefault();
    // A search covers every category.
    setCategory(null);
    setQ(typed.trim());
  };
  const more = async () => {
    if (!page?.nextCursor) return;
    try {
      const next = await call<Page<PortalFaqSummary>>(
        'GET',
        faqUrl({ q, category: category ?? undefined, cursor: page.nextCursor }),
      );
      setPage({ items: [...page.items, ...next.items], nextCursor: next.nextCursor });
    } catch (err) {
      setError(errorText(err));
    }
  };

  const what = q ? `Articles matching “${q}”` : category ? category : 'All articles';
  return (
    <section aria-labelledby="faq-title">
      <h1 id="faq-title" tabIndex={-1} ref={heading}>
        Frequently asked questions
      </h1>
      <form role="search" onSubmit={search} className="faq-search" aria-label="Search the FAQ">
        <label htmlFor="faq-q" className="sr-only">
          Search the FAQ
        </label>
        <input
          id="faq-q"
          type="search"
          maxLength={200}
          placeholder="Search the FAQ"
          value={typed}
          onChange={(e) => {
            setTyped(e.target.value);
            if (!e.target.value.trim()) setQ('');
          }}
        />
        <button type="submit" className="primary">
          Search
        </button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {categories && categories.length > 0 && (
        <nav aria-label="Categories" className="faq-categories">
          <button
            type="button"
            aria-pressed={category === null && !q}
            onClick={() => {
              setCategory(null);
              setQ('');
              setTyped('');
            }}
          >
            All
          </button>
          {categories.map((c) => (
            <button
              type="button"
              key={c.name}
              aria-pressed={category === c.name && !q}
              onClick={() => {
                setCategory(c.name);
                setQ('');
                setTyped('');
              }}
            >
              {c.name} <span className="muted">({c.articles})</span>
            </button>
          ))}
        </nav>
      )}
      <h2 aria-live="polite">{what}</h2>
      {!page && !error && <p role="status">Loading…</p>}
      {page && page.items.length === 0 && (
        <p>
          {q ? 'No article matches your search. ' : 'No articles yet. '}
          <Link to="/portal/new">Open a case</Link> and we will help you.
        </p>
      )}
      {page && page.items.length > 0 && <ArticleList items={page.items} label={what} />}
      {page?.nextCursor && (
        <button type="button" onClick={() => void more()}>
          More articles
        </button>
      )}
    </section>
  );
}

export function FaqArticleView({ id }: { id: string }) {
  const heading = useFocusHeading<HTMLHeadingElement>(`faq:${id}`);
  const [article, setArticle] = useState<PortalFaqArticle | null>(null);
  const [notFound, setNotFound] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      setArticle(await call<PortalFaqArticle>('GET', `/api/portal/faqs/${encodeURIComponent(id)}`));
    } catch (err) {
      if (err instanceof PortalError && err.status === 404) setNotFound(true);
      else setError(errorText(err));
    }
  }, [id]);
  useEffect(() => {
    setArticle(null);
    setNotFound(false);
    void load();
  }, [load]);

  if (notFound) {
    return (
      <section>
        <h1 tabIndex={-1} ref={heading}>
          Article not found
        </h1>
        <p>
          It may have been moved or withdrawn. <Link to="/portal/faq">Browse the FAQ</Link>
        </p>
      </section>
    );
  }
  if (!article) return <p role="status">{error ?? 'Loading…'}</p>;
  return (
    <article aria-labelledby="faq-article-title">
      <p>
        <Link to="/portal/faq">← FAQ</Link>
      </p>
      <h1 id="faq-article-title" tabIndex={-1} ref={heading}>
        {article.title}
      </h1>
      <p className="meta">{article.category}</p>
      {/* Rendered from Markdown and sanitised on the server (no scripts, handlers or foreign images). */}
      <div className="faq-article" dangerouslySetInnerHTML={{ __html: article.html }} />
      <p className="muted">
        Still need help? <Link to="/portal/new">Open a case</Link>
      </p>
    </article>
  );
}

/**
 * While the customer types a new case's subject: the published articles that may already answer
 * it (after a short pause in typing), opened in a new tab so the case being written stays.
 */
export function FaqSuggestions({ subject }: { subject: string }) {
  const [items, setItems] = useState<PortalFaqSummary[]>([]);
  useEffect(() => {
    const text = subject.trim();
    if (text.length < 3) {
      setItems([]);
      return;
    }
    let stale = false;
    const timer = setTimeout(() => {
      call<{ items: PortalFaqSummary[] }>(
        'GET',
        `/api/portal/faqs/suggest?limit=5&subject=${encodeURIComponent(subject.slice(0, 500))}`,
      ).then(
        (r) => !stale && setItems(r.items),
        () => !stale && setItems([]),
      );
    }, 300);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [subject]);

  return (
    <div aria-live="polite" className="faq-suggestions-live">
      {items.length > 0 && (
        <aside className="faq-suggestions" aria-label="Articles that may help">
          <p>These articles may answer your question:</p>
          <ul>
            {items.map((a) => (
              <li key={a.id}>
                <a href={`/portal/faq/${a.id}`} target="_blank" rel="noopener">
                  {a.title}
                </a>{' '}
                <span className="muted">({a.category})</span>
              </li>
            ))}
          </ul>
        </aside>
      )}
    </div>
  );
}
