import { useEffect, useState } from 'react';
import { api, errorText, type Page } from '../api.js';
import { fieldLabel, formatDateTime, showValue } from '../format.js';
import { useFieldDefs } from '../customFields.js';
import type { HistoryEntry, ObjectType } from '../apiTypes.js';

function actorName(h: HistoryEntry): string {
  const a = h.actor;
  const n = !a ? 'system' : typeof a === 'string' ? a : a.name || a.id || 'system';
  return h.channel && h.channel !== 'console' ? `${n} (via ${h.channel})` : n;
}

/** A record's history of changes: who, when, which field from → to. Newest first, paged. */
export function HistoryList({
  path,
  refreshKey,
  objectType,
}: {
  path: string;
  refreshKey?: unknown;
  /** Whose custom fields the changes may name (their labels are shown, not their keys). */
  objectType?: ObjectType;
}) {
  const defs = useFieldDefs(objectType ?? 'customer');
  const [items, setItems] = useState<HistoryEntry[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    const ctl = new AbortController();
    setLoading(true);
    api.get<Page<HistoryEntry>>(path, { limit: 50 }, ctl.signal).then(
      (p) => {
        setItems(p.items);
        setNext(p.nextCursor);
        setLoading(false);
      },
      (e) => {
        if (ctl.signal.aborted) return;
        setError(errorText(e));
        setLoading(false);
      },
    );
    return () => ctl.abort();
  }, [path, refreshKey]);

  const more = async () => {
    if (!next) return;
    try {
      const p = await api.get<Page<HistoryEntry>>(path, { limit: 50, cursor: next });
      setItems((old) => [...old, ...p.items]);
      setNext(p.nextCursor);
    } catch (e) {
      setError(errorText(e));
    }
  };

  if (error)
    return (
      <p className="error" role="alert">
        {error}
      </p>
    );
  if (loading && items.length === 0) return <p>Loading history…</p>;
  if (items.length === 0) return <p className="empty">No changes recorded yet.</p>;
  return (
    <div className="history">
      <ol className="timeline" aria-label="History of changes">
        {items.map((h, i) => (
          <li key={h.id ?? i}>
            <div className="meta">
              <strong>{actorName(h)}</strong> <span className="action">{h.action}</span>{' '}
              <time dateTime={h.at}>{formatDateTime(h.at)}</time>
            </div>
            {h.changes.length > 0 && (
              <table className="changes">
                <thead>
                  <tr>
                    <th scope="col">Field</th>
                    <th scope="col">From</th>
                    <th scope="col">To</th>
                  </tr>
                </thead>
                <tbody>
                  {h.changes.map((c, j) => (
                    <tr key={j}>
                      <th scope="row">{fieldLabel(c.field, objectType ? defs : [])}</th>
                      <td className="from">{showValue(c.from)}</td>
                      <td className="to">{showValue(c.to)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </li>
        ))}
      </ol>
      {next && (
        <button type="button" onClick={() => void more()}>
          Older changes
        </button>
      )}
    </div>
  );
}
