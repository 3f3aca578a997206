import { useState, type FormEvent } from 'react';
import { api, errorText } from '../api.js';
import { Field, Select } from '../components/Field.js';
import { useToast } from '../components/Toasts.js';
import { useLoad } from '../hooks.js';
import { formatDateTime } from '../format.js';
import { useSession } from '../session.js';
import type { ApiKey, DirectoryUser } from '../apiTypes.js';

/** API keys for the platform and integrations: created here, shown once, revocable. */
export function AdminApiKeys() {
  const { can } = useSession();
  const toast = useToast();
  const { data, error, reload } = useLoad(
    (signal) =>
      Promise.all([
        api.get<{ items: ApiKey[] }>('/api/v1/api-keys', undefined, signal),
        api.get<{ items: DirectoryUser[] }>('/api/v1/users/directory', undefined, signal),
      ]),
    [],
  );
  const [form, setForm] = useState({ name: '', scope: 'full', userId: '' });
  const [created, setCreated] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);

  if (error)
    return (
      <p className="error" role="alert">
        {errorText(error)}
      </p>
    );
  if (!data) return <p>Loading API keys…</p>;
  const [keys, users] = data;
  const owner = (id: string) => users.items.find((u) => u.id === id)?.name ?? id;

  const create = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const body: Record<string, string> = { name: form.name || 'integration', scope: form.scope };
      if (form.userId) body.userId = form.userId;
      const k = await api.post<{ key: string }>('/api/v1/api-keys', body);
      setCreated(k.key);
      setFormError(null);
      setForm({ name: '', scope: 'full', userId: '' });
      reload();
    } catch (err) {
      setFormError(errorText(err));
    }
  };

  const revoke = async (k: ApiKey) => {
    if (!window.confirm(`Revoke the key "${k.name}"? Integrations using it stop working at once.`)) return;
    try {
      await api.del(`/api/v1/api-keys/${k.id}`);
      toast({ text: `Key ${k.name} revoked` });
      reload();
    } catch (err) {
      toast({ text: errorText(err), kind: 'error' });
    }
  };

  return (
    <div>
      <h2>API keys</h2>
      <form className="filters" onSubmit={create} aria-label="New API key">
        <Field label="Name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
        <Select
          label="Scope"
          value={form.scope}
          onChange={(e) => setForm({ ...form, scope: e.target.value })}
          options={[
            { value: 'full', label: 'Full (acts as the user)' },
            { value: 'lookup', label: 'Lookup only (IVR)' },
            ...(can('admin') ? [{ value: 'email.ingest', label: 'Email intake only' }] : []),
          ]}
        />
        {can('admin') && (
          <Select
            label="For user"
            value={form.userId}
            onChange={(e) => setForm({ ...form, userId: e.target.value })}
            options={[
              { value: '', label: 'Me' },
              ...users.items.map((u) => ({ value: u.id, label: `${u.name} (${u.email})` })),
            ]}
          />
        )}
        <div className="field end">
          <button type="submit" className="primary">
            Create key
          </button>
        </div>
      </form>
      {formError && (
        <p className="error" role="alert">
          {formError}
        </p>
      )}
      {created && (
        <div className="note" role="status">
          <p>Copy this key now: it is shown only once.</p>
          <code className="secret" data-testid="new-api-key">
            {created}
          </code>{' '}
          <button type="button" onClick={() => void navigator.clipboard?.writeText(created)}>
            Copy
          </button>{' '}
          <button type="button" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      )}
      <div className="table-wrap">
        <table className="list">
          <caption className="sr-only">API keys</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key starts</th>
              <th scope="col">User</th>
              <th scope="col">Scope</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.items.map((k) => (
              <tr key={k.id} className={k.revokedAt ? 'revoked' : undefined}>
                <td data-label="Name">{k.name}</td>
                <td data-label="Key starts">
                  <code>{k.prefix}…</code>
                </td>
                <td data-label="User">{owner(k.userId)}</td>
                <td data-label="Scope">{k.scopes.join(', ')}</td>
                <td data-label="Created">{formatDateTime(k.createdAt)}</td>
                <td data-label="Last used">
                  {k.lastUsedAt
                    ? `${formatDateTime(k.lastUsedAt)}${k.lastUsedIp ? ` from ${k.lastUsedIp}` : ''}`
                    : 'never'}
                </td>
                <td>
                  {k.revokedAt ? (
                    `revoked ${formatDateTime(k.revokedAt)}`
                  ) : (
                    <button
                      type="button"
                      className="danger"
                      onClick={() => void revoke(k)}
                      aria-label={`Revoke ${k.name}`}
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
