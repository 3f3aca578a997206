import { useState } from 'react';
import { api, ApiError, errorText } from '../api.js';
import { Dialog } from '../components/Dialog.js';
import { useToast } from '../components/Toasts.js';
import { forgetFieldDefs, type FieldDef, type ObjectType } from '../customFields.js';
import { useLoad, useStoredState } from '../hooks.js';
import { CustomFieldForm, FIELD_TYPES } from './AdminCustomFieldForm.js';

const OBJECTS: { value: ObjectType; label: string }[] = [
  { value: 'customer', label: 'Customers' },
  { value: 'case', label: 'Cases' },
  { value: 'followUp', label: 'Follow-ups' },
  { value: 'task', label: 'Tasks' },
];

/** Custom field definitions per object type: create, change, reorder, retire and restore, delete. */
export function AdminCustomFields() {
  const toast = useToast();
  const [objectType, setObjectType] = useStoredState<ObjectType>('admin:cfObject', 'customer');
  const { data, error, reload } = useLoad(
    (signal) => api.get<{ items: FieldDef[] }>('/api/v1/custom-fields', { objectType }, signal),
    [objectType],
  );
  const [editing, setEditing] = useState<FieldDef | 'new' | null>(null);

  const changed = (text: string) => {
    forgetFieldDefs();
    toast({ text, kind: 'success' });
    reload();
  };
  const patch = async (f: FieldDef, body: Record<string, unknown>, text: string) => {
    try {
      await api.patch(`/api/v1/custom-fields/${f.id}`, body, f.version);
      changed(text);
    } catch (e) {
      toast({ text: errorText(e), kind: 'error' });
      reload();
    }
  };
  const remove = async (f: FieldDef) => {
    if (!window.confirm(`Delete the field "${f.label}"?`)) return;
    try {
      await api.del(`/api/v1/custom-fields/${f.id}`, f.version);
      changed(`Field ${f.label} deleted`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && e.fieldMessage('confirm') && !e.isStale) {
        if (!window.confirm(`${e.detail}\n\nDelete "${f.label}" and its values from every record?`)) return;
        try {
          await api.del(`/api/v1/custom-fields/${f.id}?confirm=true`, f.version);
          changed(`Field ${f.label} and its values deleted`);
        } catch (e2) {
          toast({ text: errorText(e2), kind: 'error' });
        }
      } else toast({ text: errorText(e), kind: 'error' });
    }
  };

  const items = [...(data?.items ?? [])].sort((a, b) => a.order - b.order);
  const move = async (i: number, d: number) => {
    const a = items[i];
    const b = items[i + d];
    if (!a || !b) return;
    try {
      await api.patch(
        `/api/v1/custom-fields/${a.id}`,
        { order: b.order === a.order ? b.order + d : b.order },
        a.version,
      );
      if (b.order !== a.order) await api.patch(`/api/v1/custom-fields/${b.id}`, { order: a.order }, b.version);
      changed('Order saved');
    } catch (e) {
      toast({ text: errorText(e), kind: 'error' });
      reload();
    }
  };
  const typeLabel = (t: string) => FIELD_TYPES.find((x) => x.value === t)?.label ?? t;

  return (
    <div>
      <div className="toolbar">
        <h2>Custom fields</h2>
        <div className="field narrow">
          <label htmlFor="cf-object">Object</label>
          <select id="cf-object" value={objectType} onChange={(e) => setObjectType(e.target.value as ObjectType)}>
            {OBJECTS.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </div>
        <button type="button" className="primary" onClick={() => setEditing('new')}>
          New field
        </button>
      </div>
      {error ? (
        <p className="error" role="alert">
          {errorText(error)}
        </p>
      ) : !data ? (
        <p>Loading custom fields…</p>
      ) : items.length === 0 ? (
        <p className="empty">
          No custom fields for {OBJECTS.find((o) => o.value === objectType)?.label.toLowerCase()} yet.
        </p>
      ) : (
        <div className="table-wrap">
          <table className="list">
            <caption className="sr-only">Custom fields</caption>
            <thead>
              <tr>
                <th scope="col">Label</th>
                <th scope="col">Key</th>
                <th scope="col">Type</th>
                <th scope="col">Rules</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((f, i) => (
                <tr key={f.id} className={f.retired ? 'revoked' : undefined}>
                  <td data-label="Label">
                    {f.label}
                    {f.retired && <span className="badge">retired</span>}
                  </td>
                  <td data-label="Key">
                    <code>{f.key}</code>
                  </td>
                  <td data-label="Type">{typeLabel(f.type)}</td>
                  <td data-label="Rules">
                    {[
                      f.required && 'required',
                      f.unique && 'unique',
                      f.filterable && 'filter',
                      f.searchable && 'search',
                    ]
                      .filter(Boolean)
                      .join(', ') || '—'}
                  </td>
                  <td className="row-actions">
                    <button
                      type="button"
                      className="icon"
                      aria-label={`Move ${f.label} up`}
                      disabled={i === 0}
                      onClick={() => void move(i, -1)}
                    >
                      ↑
                    </button>
                    <button
                      type="button"
                      className="icon"
                      aria-label={`Move ${f.label} down`}
                      disabled={i === items.length - 1}
                      onClick={() => void move(i, 1)}
                    >
                      ↓
                    </button>
                    <button type="button" aria-label={`Edit ${f.label}`} onClick={() => setEditing(f)}>
                      Edit
                    </button>
                    <button
                      type="button"
                      aria-label={`${f.retired ? 'Restore' : 'Retire'} ${f.label}`}
                      onClick={() =>
                        void patch(f, { retired: !f.retired }, f.retired ? `${f.label} restored` : `${f.label} retired`)
                      }
                    >
                      {f.retired ? 'Restore' : 'Retire'}
                    </button>
                    <button
                      type="button"
                      className="danger"
                      aria-label={`Delete ${f.label}`}
                      onClick={() => void remove(f)}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Dialog
        open={editing !== null}
        title={editing === 'new' ? 'New custom field' : 'Edit custom field'}
        onClose={() => setEditing(null)}
        wide
      >
        {editing && (
          <CustomFieldForm
            objectType={objectType}
            field={editing === 'new' ? null : editing}
            onSaved={() => {
              setEditing(null);
              changed('Custom field saved');
            }}
            onCancel={() => setEditing(null)}
          />
        )}
      </Dialog>
    </div>
  );
}
