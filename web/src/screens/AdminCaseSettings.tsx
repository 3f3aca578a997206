import { useEffect, useState } from 'react';
import { api, ApiError, errorText, fieldErrors } from '../api.js';
import { FormErrors } from '../components/Field.js';
import { useToast } from '../components/Toasts.js';
import { useLoad } from '../hooks.js';
import { CASE_SETTINGS_PATH, forgetCaseSettings } from '../lookups.js';
import type { CaseSettings, ListItem } from '../apiTypes.js';

type ListName = 'statuses' | 'priorities' | 'severities';

function ListEditor({
  name,
  title,
  items,
  onChange,
}: {
  name: ListName;
  title: string;
  items: ListItem[];
  onChange: (items: ListItem[]) => void;
}) {
  const set = (i: number, p: Partial<ListItem>) => onChange(items.map((x, j) => (j === i ? { ...x, ...p } : x)));
  const move = (i: number, d: number) => {
    const j = i + d;
    if (j < 0 || j >= items.length) return;
    const next = [...items];
    [next[i], next[j]] = [next[j], next[i]];
    onChange(next);
  };
  const builtin = (x: ListItem) => name === 'statuses' && (x.key === 'open' || x.key === 'closed');
  return (
    <fieldset className="list-editor">
      <legend>{title}</legend>
      <table className="list">
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Label</th>
            <th scope="col">{name === 'statuses' ? 'Counts as open' : 'Default'}</th>
            <th scope="col">Retired</th>
            <th scope="col">Order</th>
          </tr>
        </thead>
        <tbody>
          {items.map((x, i) => (
            <tr key={i}>
              <td>
                <input
                  aria-label={`${title} ${i + 1} key`}
                  value={x.key}
                  disabled={builtin(x) || x.builtin === true || Boolean(x.order)}
                  onChange={(e) => set(i, { key: e.target.value })}
                />
              </td>
              <td>
                <input
                  aria-label={`${title} ${i + 1} label`}
                  value={x.label}
                  onChange={(e) => set(i, { label: e.target.value })}
                />
              </td>
              <td>
                {name === 'statuses' ? (
                  <input
                    type="checkbox"
                    aria-label={`${x.label} counts as open`}
                    checked={Boolean(x.isOpen)}
                    disabled={builtin(x)}
                    onChange={(e) => set(i, { isOpen: e.target.checked })}
                  />
                ) : (
                  <input
                    type="radio"
                    name={`${name}-default`}
                    aria-label={`${x.label} is the default`}
                    checked={Boolean(x.isDefault)}
                    onChange={() => onChange(items.map((y, j) => ({ ...y, isDefault: j === i })))}
                  />
                )}
              </td>
              <td>
                <input
                  type="checkbox"
                  aria-label={`${x.label} retired`}
                  checked={x.retired}
                  disabled={builtin(x)}
                  onChange={(e) => set(i, { retired: e.target.checked })}
                />
              </td>
              <td>
                <button
                  type="button"
                  className="icon"
                  aria-label={`Move ${x.label} up`}
                  onClick={() => move(i, -1)}
                  disabled={i === 0}
                >
                  ↑
                </button>
                <button
                  type="button"
                  className="icon"
                  aria-label={`Move ${x.label} down`}
                  onClick={() => move(i, 1)}
                  disabled={i === items.length - 1}
                >
                  ↓
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <button
        type="button"
        onClick={() =>
          onChange([...items, { key: '', label: '', retired: false, ...(name === 'statuses' ? { isOpen: true } : {}) }])
        }
      >
        Add to {title.toLowerCase()}
      </button>
    </fieldset>
  );
}

/** Statuses, priorities, severities and the reopen policy (K1, K6). */
/** The settings as edited: new list entries carry only what the administrator typed. */
type Editable = Omit<CaseSettings, 'statuses' | 'priorities' | 'severities'> & {
  statuses: ListItem[];
  priorities: ListItem[];
  severities: ListItem[];
};

export function AdminCaseSettings() {
  const toast = useToast();
  const { data, error, reload } = useLoad((signal) => api.get<CaseSettings>(CASE_SETTINGS_PATH, undefined, signal), []);
  const [v, setV] = useState<Editable | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  useEffect(() => {
    if (data) setV(data);
  }, [data]);

  if (error)
    return (
      <p className="error" role="alert">
        {error instanceof ApiError && error.status === 404
          ? 'Case settings are not available on this server yet.'
          : errorText(error)}
      </p>
    );
  if (!v) return <p>Loading case settings…</p>;

  const strip = (items: ListItem[], kind: ListName) =>
    items.map((x) =>
      kind === 'statuses'
        ? { key: x.key, label: x.label, isOpen: Boolean(x.isOpen), retired: x.retired }
        : { key: x.key, label: x.label, isDefault: Boolean(x.isDefault), retired: x.retired },
    );

  const save = async () => {
    try {
      await api.put(
        CASE_SETTINGS_PATH,
        {
          statuses: strip(v.statuses, 'statuses'),
          priorities: strip(v.priorities, 'priorities'),
          severities: strip(v.severities, 'severities'),
          reopen: v.reopen.policy === 'withinDays' ? v.reopen : { policy: v.reopen.policy },
          defaultVisibility: v.defaultVisibility,
        },
        v.version,
      );
      forgetCaseSettings();
      setErrors({});
      setMessage(null);
      toast({ text: 'Case settings saved', kind: 'success' });
      reload();
    } catch (e) {
      setErrors(fieldErrors(e));
      setMessage(
        e instanceof ApiError && e.isStale ? 'Someone else changed the settings; reload to see them.' : errorText(e),
      );
    }
  };

  return (
    <div className="case-settings">
      <h2>Case settings</h2>
      <ListEditor
        name="statuses"
        title="Statuses"
        items={v.statuses}
        onChange={(statuses) => setV({ ...v, statuses })}
      />
      <ListEditor
        name="priorities"
        title="Priorities"
        items={v.priorities}
        onChange={(priorities) => setV({ ...v, priorities })}
      />
      <ListEditor
        name="severities"
        title="Severities"
        items={v.severities}
        onChange={(severities) => setV({ ...v, severities })}
      />
      <fieldset>
        <legend>Reopening a closed case on new activity</legend>
        {(['always', 'never', 'withinDays'] as const).map((p) => (
          <label key={p} className="check">
            <input
              type="radio"
              name="reopen"
              checked={v.reopen.policy === p}
              onChange={() =>
                setV({ ...v, reopen: { policy: p, days: p === 'withinDays' ? (v.reopen.days ?? 7) : null } })
              }
            />{' '}
            {p === 'always' ? 'Always reopen' : p === 'never' ? 'Never reopen' : 'Reopen only within'}
            {p === 'withinDays' && (
              <>
                {' '}
                <input
                  type="number"
                  min={1}
                  max={3650}
                  aria-label="Days after closing"
                  value={v.reopen.days ?? 7}
                  disabled={v.reopen.policy !== 'withinDays'}
                  onChange={(e) => setV({ ...v, reopen: { policy: 'withinDays', days: Number(e.target.value) } })}
                />{' '}
                days of closing
              </>
            )}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>New cases start as</legend>
        {(['private', 'public'] as const).map((d) => (
          <label key={d} className="check">
            <input
              type="radio"
              name="defaultVisibility"
              checked={v.defaultVisibility === d}
              onChange={() => setV({ ...v, defaultVisibility: d })}
            />{' '}
            {d === 'private' ? 'Private (internal)' : 'Public (Support Center)'}
          </label>
        ))}
        <p className="hint">
          The New case form starts with this. Users who may not create private cases (no “view private cases” privilege)
          always start with, and only see, Public.
        </p>
      </fieldset>
      <FormErrors message={message} extra={errors} />
      <div className="actions">
        <button type="button" className="primary" onClick={() => void save()}>
          Save case settings
        </button>
      </div>
    </div>
  );
}
