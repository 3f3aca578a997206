import { useEffect, useId, useState } from 'react';
import { api, errorText } from '../api.js';
import type { CannedReply, RenderedCannedReply } from '../apiTypes.js';
import { Link } from '../router.js';
import { Dialog } from './Dialog.js';

/**
 * Chooses a canned reply (docs/canned-replies.md) and hands back its text filled in for the
 * case: the server fills {{customer.name}}, {{case.number}} and {{agent.name}} and leaves any
 * other placeholder as written, so the agent sees what is left to fill.
 */
export function CannedReplyPicker({
  open,
  caseId,
  onPick,
  onClose,
}: {
  open: boolean;
  caseId: string;
  onPick: (r: RenderedCannedReply) => void;
  onClose: () => void;
}) {
  const [items, setItems] = useState<CannedReply[] | null>(null);
  const [filter, setFilter] = useState('');
  const [error, setError] = useState<string | null>(null);
  const filterId = useId();

  useEffect(() => {
    if (!open) return;
    setFilter('');
    setError(null);
    const ac = new AbortController();
    api.get<{ items: CannedReply[] }>('/api/v1/canned-replies', undefined, ac.signal).then(
      (r) => setItems(r.items),
      (err) => !ac.signal.aborted && setError(errorText(err)),
    );
    return () => ac.abort();
  }, [open]);

  const shown = (items ?? []).filter((r) => {
    const f = filter.trim().toLowerCase();
    return !f || r.title.toLowerCase().includes(f) || r.body.toLowerCase().includes(f);
  });

  const pick = async (r: CannedReply) => {
    try {
      onPick(await api.post<RenderedCannedReply>(`/api/v1/canned-replies/${r.id}/render`, { caseId }));
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <Dialog open={open} title="Insert a canned reply" onClose={onClose}>
      <div className="field">
        <label htmlFor={filterId}>Find</label>
        <input
          id={filterId}
          type="search"
          autoFocus
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          onKeyDown={(e) => {
            // Enter takes the first match (and never submits the reply form around this dialog).
            if (e.key === 'Enter') {
              e.preventDefault();
              if (shown.length > 0) void pick(shown[0]);
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
      {items !== null && shown.length === 0 && (
        <p className="empty">{items.length === 0 ? 'No canned replies yet.' : 'None matches.'}</p>
      )}
      <ul className="canned-list">
        {shown.map((r) => (
          <li key={r.id}>
            <button type="button" onClick={() => void pick(r)}>
              <strong>{r.title}</strong>
              {r.shared && <span className="badge">shared</span>}
              <span className="canned-preview">{r.body}</span>
            </button>
          </li>
        ))}
      </ul>
      <p className="hint">
        <Link to="/canned-replies">Manage canned replies</Link>
      </p>
    </Dialog>
  );
}
