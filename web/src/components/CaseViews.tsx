import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, errorText, fieldErrors } from '../api.js';
import type { CaseView, CaseViewCount, CaseViewFilter } from '../apiTypes.js';
import { FIELD_LIMITS } from '../fieldLimits.js';
import { live } from '../live.js';
import { useSession } from '../session.js';
import { Field, FormErrors } from './Field.js';
import { useToast } from './Toasts.js';

/** How often the counts are read again while the screen is open (besides live events and focus). */
const REFRESH_MS = 60_000;
const COUNT_CAP = 10_000;

export interface ViewQuery {
  filter: CaseViewFilter;
  sort: CaseView['sort'];
}

/** A filter with its empty parts left out and its keys in one order, to compare a view with the list's filters. */
function canonical(q: ViewQuery): string {
  const f = q.filter as Record<string, unknown>;
  const keys = Object.keys(f)
    .filter((k) => f[k] !== undefined && f[k] !== '' && !(Array.isArray(f[k]) && (f[k] as unknown[]).length === 0))
    .sort();
  return JSON.stringify([q.sort, keys.map((k) => [k, f[k]])]);
}

type Form = { mode: 'save' } | { mode: 'rename'; view: CaseView };

/**
 * Saved case views (docs/case-views.md) as queues with counts, above the Cases list's filters.
 * A view whose filters are the list's current ones is shown pressed; clicking one applies it.
 * Counts are read again on live case changes, when the window regains focus, and every minute.
 */
export function CaseViews({ current, onApply }: { current: ViewQuery; onApply: (v: ViewQuery) => void }) {
  const { can } = useSession();
  const toast = useToast();
  const mayShare = can('cases.sharedViews');
  const [views, setViews] = useState<CaseView[] | null>(null);
  const [counts, setCounts] = useState<Record<string, number | null>>({});
  const [error, setError] = useState<string | null>(null);
  const [form, setForm] = useState<Form | null>(null);
  const timer = useRef<number | null>(null);

  const loadCounts = useCallback(async () => {
    try {
      const r = await api.get<{ items: CaseViewCount[] }>('/api/v1/case-views/counts');
      setCounts(Object.fromEntries(r.items.map((i) => [i.id, i.count])));
    } catch {
      // The counts are a hint: the next refresh tries again.
    }
  }, []);
  const load = useCallback(async () => {
    try {
      const r = await api.get<{ items: CaseView[] }>('/api/v1/case-views');
      setViews(r.items);
      setError(null);
      await loadCounts();
    } catch (e) {
      setError(errorText(e));
    }
  }, [loadCounts]);

  useEffect(() => {
    void load();
    const soon = () => {
      if (timer.current !== null) return;
      timer.current = window.setTimeout(() => {
        timer.current = null;
        void loadCounts();
      }, 400);
    };
    // Any change to a case (created, updated, assigned, closed…), and a stream that (re)connected.
    const off = live.subscribe((e) => {
      if (e.recordType === 'case' || e.type === 'reset') soon();
    });
    const offReady = live.onStatus((s) => {
      if (s === 'live') soon();
    });
    const onFocus = () => soon();
    window.addEventListener('focus', onFocus);
    const every = window.setInterval(soon, REFRESH_MS);
    return () => {
      off();
      offReady();
      window.removeEventListener('focus', onFocus);
      window.clearInterval(every);
      if (timer.current !== null) window.clearTimeout(timer.current);
      timer.current = null;
    };
  }, [load, loadCounts]);

  const here = canonical(current);
  const active = views?.find((v) => canonical(v) === here) ?? null;
  const editable = (v: CaseView) => !v.shared || mayShare;

  const remove = async (v: CaseView) => {
    if (!window.confirm(`Delete the view "${v.name}"?`)) return;
    try {
      await api.del(`/api/v1/case-views/${v.id}`, v.version);
      toast({ text: `Deleted the view "${v.name}"`, kind: 'success' });
      await load();
    } catch (e) {
      toast({ text: errorText(e), kind: 'error' });
    }
  };

  const countText = (id: string) => {
    const n = counts[id];
    if (n === undefined) return '…';
    if (n === null) return '–';
    return n >= COUNT_CAP ? `${COUNT_CAP.toLocaleString()}+` : n.toLocaleString();
  };
  const countLabel = (id: string) => {
    const n = counts[id];
    if (n === undefined) return 'count loading';
    if (n === null) return 'filter no longer applies';
    return `${n >= COUNT_CAP ? `more than ${COUNT_CAP.toLocaleString()}` : n} ${n === 1 ? 'case' : 'cases'}`;
  };

  return (
    <nav className="case-views" aria-labelledby="case-views-title">
      <div className="case-views-row">
        <h2 id="case-views-title">Views</h2>
        {views && views.length === 0 && <span className="hint">No saved views yet.</span>}
        <ul>
          {(views ?? []).map((v) => (
            <li key={v.id}>
              <button
                type="button"
                className="case-view"
                aria-pressed={active?.id === v.id}
                data-view={v.name}
                onClick={() => onApply({ filter: v.filter, sort: v.sort })}
                title={v.shared ? 'Shared view' : 'Your view'}
              >
                <bdi>{v.name}</bdi>
                {v.shared && <span className="sr-only"> (shared)</span>}
                <span className="case-view-count" aria-label={countLabel(v.id)}>
                  {countText(v.id)}
                </span>
              </button>
            </li>
          ))}
        </ul>
        <div className="case-views-actions">
          <button type="button" onClick={() => setForm({ mode: 'save' })} disabled={active !== null}>
            Save view
          </button>
          {active && editable(active) && (
            <>
              <button
                type="button"
                onClick={() => setForm({ mode: 'rename', view: active })}
                aria-label={`Rename view ${active.name}`}
              >
                Rename
              </button>
              <button
                type="button"
                className="danger"
                onClick={() => void remove(active)}
                aria-label={`Delete view ${active.name}`}
              >
                Delete
              </button>
            </>
          )}
        </div>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {form && (
        <ViewForm
          form={form}
          current={current}
          mayShare={mayShare}
          onCancel={() => setForm(null)}
          onDone={(text) => {
            setForm(null);
            toast({ text, kind: 'success' });
            void load();
          }}
        />
      )}
    </nav>
  );
}

function ViewForm({
  form,
  current,
  mayShare,
  onCancel,
  onDone,
}: {
  form: Form;
  current: ViewQuery;
  mayShare: boolean;
  onCancel: () => void;
  onDone: (message: string) => void;
}) {
  const [name, setName] = useState(form.mode === 'rename' ? form.view.name : '');
  const [shared, setShared] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      if (form.mode === 'rename') {
        await api.patch(`/api/v1/case-views/${form.view.id}`, { name }, form.view.version);
        onDone(`Renamed the view to "${name.trim()}"`);
      } else {
        await api.post('/api/v1/case-views', { name, filter: current.filter, sort: current.sort, shared });
        onDone(`Saved the view "${name.trim()}"`);
      }
    } catch (err) {
      const fields = fieldErrors(err);
      setErrors(fields);
      const other = Object.entries(fields).filter(([k]) => k !== 'name');
      setMessage(
        err instanceof ApiError && err.errors.length
          ? other.length
            ? other.map(([, m]) => m).join(' ')
            : 'Please correct the fields marked.'
          : errorText(err),
      );
    } finally {
      setBusy(false);
    }
  };
  const title = form.mode === 'rename' ? `Rename the view "${form.view.name}"` : 'Save these filters as a view';
  return (
    <form className="panel case-view-form" onSubmit={submit} noValidate aria-label={title}>
      <h3>{title}</h3>
      <Field
        label="View name"
        autoFocus
        maxLength={FIELD_LIMITS.caseView.name.maxLength}
        required={FIELD_LIMITS.caseView.name.required}
        value={name}
        onChange={(e) => setName(e.target.value)}
        error={errors.name}
      />
      {form.mode === 'save' && mayShare && (
        <div className="field check">
          <label>
            <input type="checkbox" checked={shared} onChange={(e) => setShared(e.target.checked)} /> Shared with
            everybody
          </label>
        </div>
      )}
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
