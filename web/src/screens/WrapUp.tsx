import { useId, useState, type FormEvent } from 'react';
import { ApiError, errorText, fieldErrors } from '../api.js';
import { useStoredState } from '../hooks.js';
import { fromLocalInput, toLocalInput } from '../format.js';
import type { Interaction } from './interactionsApi.js';
import { interactionsApi } from './interactionsApi.js';

const DISPOSITIONS = ['', 'resolved', 'callback_needed', 'escalated', 'no_answer', 'wrong_number', 'other'];

/** Notes, disposition and a follow-on call, saved in one request while the interaction is open or in wrap-up. */
export function WrapUp({ interaction: i, onChange }: { interaction: Interaction; onChange: (i: Interaction) => void }) {
  const id = useId();
  const [v, setV, clear] = useStoredState(`wrapup:${i.id}`, {
    notes: i.notes ?? '',
    disposition: i.disposition ?? '',
    followOn: false,
    due: toLocalInput(new Date(Date.now() + 24 * 3600_000)),
  });
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const closed = Boolean(i.closedAt) || i.state === 'closed' || i.status === 'closed';

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body: Record<string, unknown> = { notes: v.notes };
    if (v.disposition) body.disposition = v.disposition;
    if (v.followOn) body.followOnCall = { dueAt: fromLocalInput(v.due) };
    try {
      const updated = await interactionsApi.patch(i, body);
      onChange({ ...updated, matches: i.matches, result: i.result });
      clear();
      setSaved(true);
      setError(null);
      setV((o) => ({ ...o, followOn: false }));
    } catch (err) {
      const fe = fieldErrors(err);
      setError(err instanceof ApiError && Object.keys(fe).length ? Object.values(fe).join('; ') : errorText(err));
    }
  };

  if (closed) {
    return (
      <div className="wrapup closed">
        <h4>Notes</h4>
        <p>{i.notes || <span className="muted">No notes.</span>}</p>
      </div>
    );
  }
  return (
    <form className="wrapup" onSubmit={submit} aria-label="Wrap-up">
      <div className="field">
        <label htmlFor={`${id}-notes`}>Notes</label>
        <textarea id={`${id}-notes`} rows={3} value={v.notes} onChange={(e) => setV({ ...v, notes: e.target.value })} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-disp`}>Disposition</label>
        <select id={`${id}-disp`} value={v.disposition} onChange={(e) => setV({ ...v, disposition: e.target.value })}>
          {DISPOSITIONS.map((d) => (
            <option key={d} value={d}>
              {d ? d.replace(/_/g, ' ') : '—'}
            </option>
          ))}
        </select>
      </div>
      <label className="check">
        <input type="checkbox" checked={v.followOn} onChange={(e) => setV({ ...v, followOn: e.target.checked })} />{' '}
        Schedule a follow-on call
      </label>
      {v.followOn && (
        <div className="field">
          <label htmlFor={`${id}-due`}>Call at</label>
          <input
            id={`${id}-due`}
            type="datetime-local"
            value={v.due}
            onChange={(e) => setV({ ...v, due: e.target.value })}
          />
        </div>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {saved && <p role="status">Saved.</p>}
      <button type="submit" className="primary" disabled={!i.customerId && v.followOn}>
        Save wrap-up
      </button>
    </form>
  );
}
