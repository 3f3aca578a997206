import { useEffect, useId, useState } from 'react';
import { api, errorText, type Page } from '../api.js';
import type { FaqArticleSummary } from '../apiTypes.js';
import { useDebounced } from '../hooks.js';
import { Dialog } from './Dialog.js';

/**
 * Finds a published FAQ article (full-text search on the server) and hands back its title and
 * its public address in the Support Center, for the email reply box to insert as a link.
 */
export function FaqLinkPicker({
  open,
  onPick,
  onClose,
}: {
  open: boolean;
  onPick: (article: { title: string; url: string }) => void;
  onClose: () => void;
}) {
  const [q, setQ] = useState('');
  const query = useDebounced(q, 200);
  const [items, setItems] = useState<FaqArticleSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const inputId = useId();

  useEffect(() => {
    if (open) setQ('');
  }, [open]);
  useEffect(() => {
    if (!open) return;
    setError(null);
    const ac = new AbortController();
    api
      .get<Page<FaqArticleSummary>>(
        '/api/v1/faqs',
        { published: true, q: query.trim() || undefined, limit: 20 },
        ac.signal,
      )
      .then(
        (r) => setItems(r.items),
        (err) => !ac.signal.aborted && setError(errorText(err)),
      );
    return () => ac.abort();
  }, [open, query]);

  const pick = (a: FaqArticleSummary) => onPick({ title: a.title, url: a.publicUrl });

  return (
    <Dialog open={open} title="Insert a FAQ link" onClose={onClose}>
      <div className="field">
        <label htmlFor={inputId}>Search FAQ articles</label>
        <input
          id={inputId}
          type="search"
          autoFocus
          maxLength={200}
          value={q}
          onChange={(e) => setQ(e.target.value)}
          onKeyDown={(e) => {
            // Enter takes the first match (and never submits the reply form around this dialog).
            if (e.key === 'Enter') {
              e.preventDefault();
              if (items && items.length > 0 && query === q) pick(items[0]);
            }
          }}
        />
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {items === null && !error && <p>Loading…</p>}
      {items !== null && items.length === 0 && (
        <p className="empty">{query.trim() ? 'No published article matches.' : 'No published FAQ articles yet.'}</p>
      )}
      <ul className="canned-list" aria-label="FAQ articles">
        {(items ?? []).map((a) => (
          <li key={a.id}>
            <button type="button" onClick={() => pick(a)}>
              <strong>{a.title}</strong>
              <span className="badge">{a.category}</span>
              <span className="canned-preview">{a.excerpt}</span>
            </button>
          </li>
        ))}
      </ul>
    </Dialog>
  );
}
