import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, errorText, fieldErrors, type Page } from '../api.js';
import type { FaqArticle, FaqArticleSummary } from '../apiTypes.js';
import { Field, FormErrors, Select, TextArea } from '../components/Field.js';
import { useToast } from '../components/Toasts.js';
import { useDebounced, useLoad } from '../hooks.js';
import { formatDateTime } from '../format.js';

type Shown = 'all' | 'published' | 'drafts';

/**
 * Admin → FAQs: the Support Center's articles (holders of faqs.manage). Write in Markdown with a
 * preview rendered by the server exactly as customers will see it; publish, take back to a
 * draft, delete. Published articles are what customers find in the Support Center and what
 * agents link to from a reply.
 */
export function AdminFaqs() {
  const toast = useToast();
  const [q, setQ] = useState('');
  const [shown, setShown] = useState<Shown>('all');
  const query = useDebounced(q, 250);
  const [editing, setEditing] = useState<FaqArticle | 'new' | null>(null);
  const list = useLoad(
    (signal) =>
      api.get<Page<FaqArticleSummary>>(
        '/api/v1/faqs',
        { q: query.trim() || undefined, published: shown === 'all' ? undefined : shown === 'published', limit: 50 },
        signal,
      ),
    [query, shown],
  );
  const [more, setMore] = useState<FaqArticleSummary[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  useEffect(() => {
    setMore([]);
    setCursor(list.data?.nextCursor ?? null);
  }, [list.data]);
  const rows = [...(list.data?.items ?? []), ...more];

  const loadMore = async () => {
    if (!cursor) return;
    try {
      const next = await api.get<Page<FaqArticleSummary>>('/api/v1/faqs', {
        q: query.trim() || undefined,
        published: shown === 'all' ? undefined : shown === 'published',
        limit: 50,
        cursor,
      });
      setMore((m) => [...m, ...next.items]);
      setCursor(next.nextCursor);
    } catch (err) {
      toast({ text: errorText(err), kind: 'error' });
    }
  };

  const edit = async (a: FaqArticleSummary) => {
    try {
      setEditing(await api.get<FaqArticle>(`/api/v1/faqs/${a.id}`));
    } catch (err) {
      toast({ text: errorText(err), kind: 'error' });
    }
  };
  const setPublished = async (a: FaqArticleSummary, published: boolean) => {
    try {
      await api.patch(`/api/v1/faqs/${a.id}`, { published }, a.version);
      toast({ text: published ? `Published "${a.title}"` : `"${a.title}" is a draft again`, kind: 'success' });
      list.reload();
    } catch (err) {
      toast({ text: errorText(err), kind: 'error' });
      list.reload();
    }
  };
  const remove = async (a: FaqArticleSummary) => {
    if (!window.confirm(`Delete the article "${a.title}"? Links to it stop working.`)) return;
    try {
      await api.del(`/api/v1/faqs/${a.id}`, a.version);
      toast({ text: `Deleted "${a.title}"`, kind: 'success' });
      list.reload();
    } catch (err) {
      toast({ text: errorText(err), kind: 'error' });
    }
  };

  return (
    <section aria-labelledby="faqs-title">
      <h2 id="faqs-title">FAQ articles</h2>
      <p className="hint">
        Published articles appear in the Support Center (FAQ, search, and suggestions while a customer writes the
        subject of a new case); agents can link to them from a reply. Write them in Markdown.
      </p>
      {editing && (
        <FaqForm
          article={editing === 'new' ? null : editing}
          onDone={(saved) => {
            setEditing(null);
            toast({ text: `Saved "${saved.title}"`, kind: 'success' });
            list.reload();
          }}
          onCancel={() => setEditing(null)}
        />
      )}
      <div className="toolbar faq-toolbar">
        <Field label="Search" type="search" value={q} maxLength={200} onChange={(e) => setQ(e.target.value)} />
        <Select
          label="Show"
          value={shown}
          onChange={(e) => setShown(e.target.value as Shown)}
          options={[
            { value: 'all', label: 'All articles' },
            { value: 'published', label: 'Published' },
            { value: 'drafts', label: 'Drafts' },
          ]}
        />
        {!editing && (
          <button type="button" className="primary" onClick={() => setEditing('new')}>
            New article
          </button>
        )}
      </div>
      {list.error ? <p role="alert">{errorText(list.error)}</p> : null}
      {list.loading && !list.data ? <p>Loading…</p> : null}
      {list.data && rows.length === 0 && (
        <p className="empty">{query.trim() || shown !== 'all' ? 'No article matches.' : 'No FAQ articles yet.'}</p>
      )}
      {rows.length > 0 && (
        <table className="list" aria-label="FAQ articles">
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col">Category</th>
              <th scope="col">Status</th>
              <th scope="col">Changed</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((a) => (
              <tr key={a.id} data-faq={a.title}>
                <td>
                  {a.title}
                  <div className="canned-preview">{a.excerpt}</div>
                </td>
                <td>{a.category}</td>
                <td>
                  <span className={a.published ? 'badge ok' : 'badge'}>{a.published ? 'Published' : 'Draft'}</span>
                </td>
                <td className="nowrap">{formatDateTime(a.updatedAt)}</td>
                <td className="nowrap">
                  <button type="button" onClick={() => void edit(a)} aria-label={`Edit ${a.title}`}>
                    Edit
                  </button>{' '}
                  <button
                    type="button"
                    onClick={() => void setPublished(a, !a.published)}
                    aria-label={`${a.published ? 'Unpublish' : 'Publish'} ${a.title}`}
                  >
                    {a.published ? 'Unpublish' : 'Publish'}
                  </button>{' '}
                  {a.published && (
                    <a href={a.publicUrl} target="_blank" rel="noopener noreferrer">
                      View
                    </a>
                  )}{' '}
                  <button
                    type="button"
                    className="danger"
                    onClick={() => void remove(a)}
                    aria-label={`Delete ${a.title}`}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor && (
        <button type="button" onClick={() => void loadMore()}>
          More articles
        </button>
      )}
    </section>
  );
}

/** Writes or changes one article; the preview is the server's own rendering, sanitised. */
function FaqForm({
  article,
  onDone,
  onCancel,
}: {
  article: FaqArticle | null;
  onDone: (saved: FaqArticle) => void;
  onCancel: () => void;
}) {
  const [v, setV] = useState({
    title: article?.title ?? '',
    category: article?.category ?? '',
    body: article?.body ?? '',
    published: article?.published ?? false,
  });
  const [version, setVersion] = useState(article?.version ?? 0);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [preview, setPreview] = useState<string>(article?.bodyHtml ?? '');
  const body = useDebounced(v.body, 300);
  useEffect(() => {
    if (!body.trim()) {
      setPreview('');
      return;
    }
    const ac = new AbortController();
    api.post<{ html: string }>('/api/v1/faqs/preview', { body }, { signal: ac.signal }).then(
      (r) => setPreview(r.html),
      () => undefined,
    );
    return () => ac.abort();
  }, [body]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      const saved = article
        ? await api.patch<FaqArticle>(`/api/v1/faqs/${article.id}`, v, version)
        : await api.post<FaqArticle>('/api/v1/faqs', v);
      onDone(saved);
    } catch (err) {
      if (err instanceof ApiError && err.isStale) {
        const current = err.current as FaqArticle;
        setVersion(current.version);
        setErrors({});
        setMessage(
          'Someone else changed this article since you opened it. Save again to overwrite their change, or cancel.',
        );
      } else {
        setErrors(fieldErrors(err));
        setMessage(err instanceof ApiError && err.errors.length ? 'Please correct the fields marked.' : errorText(err));
      }
    } finally {
      setBusy(false);
    }
  };
  const what = article ? 'Edit FAQ article' : 'New FAQ article';
  return (
    <form className="panel faq-form" onSubmit={submit} noValidate aria-label={what}>
      <h3>{what}</h3>
      <div className="row">
        <Field
          label="Title"
          required
          maxLength={200}
          value={v.title}
          onChange={(e) => setV({ ...v, title: e.target.value })}
          error={errors.title}
        />
        <Field
          label="Category"
          required
          maxLength={80}
          value={v.category}
          onChange={(e) => setV({ ...v, category: e.target.value })}
          error={errors.category}
          hint="Articles are grouped by category in the Support Center."
        />
      </div>
      <div className="faq-edit">
        <TextArea
          label="Text (Markdown)"
          rows={14}
          required
          maxLength={50000}
          value={v.body}
          onChange={(e) => setV({ ...v, body: e.target.value })}
          error={errors.body}
        />
        <div className="faq-preview-pane">
          <div className="label" id="faq-preview-label">
            Preview
          </div>
          <div
            className="faq-article"
            aria-labelledby="faq-preview-label"
            role="region"
            // The server's rendering, sanitised there (markdown-it without raw HTML, then sanitize-html).
            dangerouslySetInnerHTML={{ __html: preview }}
          />
        </div>
      </div>
      <label className="check">
        <input type="checkbox" checked={v.published} onChange={(e) => setV({ ...v, published: e.target.checked })} />{' '}
        Published (shown in the Support Center)
      </label>
      <FormErrors message={message} />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          Save
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
