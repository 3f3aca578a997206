import { useId, useState, type FormEvent } from 'react';
import { ApiError, errorText, fieldErrors } from '../api.js';
import { useStoredState } from '../hooks.js';
import { fromLocalInput, toLocalInput } from '../format.js';
import { interactionsApi, type Interaction } from './interactionsApi.js';

const DISPOSITIONS = [
  '',
  'resolved',
  'callback_needed',
  'escalated',
  'information_given',
  'no_answer',
  'wrong_number',
  'other',
];

/**
 * Notes, disposition and a follow-on call (a call task with a reminder), saved in
 * one request while the interaction is open or in wrap-up; "End" starts wrap-up,
 * "Finish" closes it. Once closed the notes are read-only.
 */
export function WrapUp({ interaction: i, onChange }: { interaction: Interaction; onChange: (i: Interaction) => void }) {
  const id = useId();
  const [v, setV, clear] = useStoredState(`wrapup:${i.id}`, {
    notes: i.notes ?? '',
    disposition: i.disposition ?? '',
    followOn: false,
    due: toLocalInput(new Date(Date.now() + 24 * 3600_000)),
  });
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);

  const save = async (state?: 'active' | 'ended' | 'closed') => {
    const body: Record<string, unknown> = { notes: v.notes || null, disposition: v.disposition || null };
    if (state) body.state = state;
    if (v.followOn) body.followOnCall = { dueAt: fromLocalInput(v.due) };
    try {
      let updated: Interaction;
      try {
        updated = await interactionsApi.patch(i, body);
      } catch (err) {
        if (!(err instanceof ApiError && err.isStale)) throw err;
        // Our own notes are the only agent edits: save them on the current version.
        updated = await interactionsApi.patch(err.current as Interaction, body);
      }
      onChange(updated);
      clear();
      setV((o) => ({ ...o, followOn: false }));
      setError(null);
      setSaved(
        v.followOn
          ? 'Saved, and the follow-on call is scheduled.'
          : state === 'closed'
            ? 'Wrap-up finished.'
            : 'Saved.',
      );
    } catch (err) {
      const fe = fieldErrors(err);
      setError(
        Object.keys(fe).length
          ? Object.entries(fe)
              .map(([f, m]) => `${f}: ${m}`)
              .join('; ')
          : errorText(err),
      );
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void save();
  };

  if (i.state === 'closed') {
    return (
      <div className="wrapup closed">
        <h4>Notes</h4>
        <p>{i.notes || <span className="muted">No notes.</span>}</p>
        {i.disposition && <p className="muted">Disposition: {i.disposition.replace(/_/g, ' ')}</p>}
      </div>
    );
  }
  return (
    <form className="wrapup" onSubmit={onSubmit} aria-label={`Wrap-up of the ${i.channel}`}>
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
      {i.customerId && (
        <label className="check">
          <input type="checkbox" checked={v.followOn} onChange={(e) => setV({ ...v, followOn: e.target.checked })} />{' '}
          Schedule a follow-on call
        </label>
      )}
      {v.followOn && (
        <div className="field">
          <label htmlFor={`${id}-due`}>Call back at</label>
          <input
            id={`${id}-due`}
            type="datetime-local"
            value={v.due}
            onChange={(e) => setV({ ...v, due: e.target.value })}
          />
        </div>
      )}
      {i.followOnTaskId && <p className="muted">A follow-on call is scheduled.</p>}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {saved && <p role="status">{saved}</p>}
      <div className="actions">
        <button type="submit" className="primary">
          Save notes
        </button>
        {i.state === 'ringing' && (
          <button type="button" onClick={() => void save('active')}>
            Answer
          </button>
        )}
        {i.state !== 'wrap_up' ? (
          <button type="button" onClick={() => void save('ended')}>
            End and wrap up
          </button>
        ) : (
          <button type="button" onClick={() => void save('closed')}>
            Finish wrap-up
          </button>
        )}
      </div>
    </form>
  );
}
