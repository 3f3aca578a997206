import { useState, type FormEvent } from 'react';
import { api, errorText } from '../api.js';
import type { Connector, ConnectorSettings, ConnectorTestResult, ConnectorWithSecret } from '../apiTypes.js';
import { SigningSecret } from '../components/SigningSecret.js';
import { Field, Select } from '../components/Field.js';
import { useListAction, useToast } from '../components/Toasts.js';
import { useLoad } from '../hooks.js';
import { formatDateTime } from '../format.js';

const BASE = '/api/v1/integrations/connectors';

const ORDERS = [
  { value: 'local', label: 'Local customers only (default)' },
  { value: 'local_then_external', label: 'Local first, then the CRM when nobody matched' },
  { value: 'external', label: 'The CRM (local customers when it fails)' },
];

/** Admin → Integrations: CRM connectors (docs/webhooks.md, CRM connectors), a connection test, the last sync. */
export function AdminIntegrations() {
  const toast = useToast();
  const { data, error, reload } = useLoad(
    (signal) =>
      Promise.all([
        api.get<Connector[]>(BASE, undefined, signal),
        api.get<ConnectorSettings>(`${BASE}/settings`, undefined, signal),
      ]),
    [],
  );
  const act = useListAction(reload);
  const [form, setForm] = useState({ name: '', system: '', baseUrl: '' });
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null);
  const [formError, setFormError] = useState<string | null>(null);

  if (error)
    return (
      <p className="error" role="alert">
        {errorText(error)}
      </p>
    );
  if (!data) return <p>Loading connectors…</p>;
  const [connectors, settings] = data;

  const create = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const created = await api.post<ConnectorWithSecret>(BASE, { kind: 'http', ...form });
      setSecret({ name: created.name, secret: created.secret });
      setFormError(null);
      setForm({ name: '', system: '', baseUrl: '' });
      reload();
    } catch (err) {
      setFormError(errorText(err));
    }
  };

  const test = async (c: Connector) => {
    try {
      const r = await api.post<ConnectorTestResult>(`${BASE}/${c.id}/test`, {});
      toast(
        r.ok
          ? { text: `${c.name}: connected (${r.latencyMs} ms)` }
          : { text: `${c.name}: ${r.error ?? 'failed'}`, kind: 'error' },
      );
      reload();
    } catch (err) {
      toast({ text: errorText(err), kind: 'error' });
    }
  };

  return (
    <div>
      <h2>Integrations</h2>
      <p>
        CRM connectors let the screen pop ask an external CRM who is calling, write every ended interaction back to it,
        and pull its contacts into customers. Requests are signed like webhooks.
      </p>
      <Select
        label="Screen pop lookup order"
        value={settings.lookupOrder}
        options={ORDERS}
        onChange={(e) =>
          void act(
            () => api.put(`${BASE}/settings`, { lookupOrder: e.target.value, version: settings.version }),
            'Lookup order saved',
          )
        }
      />
      <form className="filters" onSubmit={create} aria-label="New CRM connector">
        <Field label="Name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
        <Field
          label="System (external id)"
          value={form.system}
          onChange={(e) => setForm({ ...form, system: e.target.value })}
        />
        <Field label="Base URL" value={form.baseUrl} onChange={(e) => setForm({ ...form, baseUrl: e.target.value })} />
        <div className="field end">
          <button type="submit" className="primary">
            Add connector
          </button>
        </div>
      </form>
      {formError && (
        <p className="error" role="alert">
          {formError}
        </p>
      )}
      {secret && (
        <SigningSecret
          of={secret.name}
          secret={secret.secret}
          testId="connector-secret"
          onDone={() => setSecret(null)}
        />
      )}
      <div className="table-wrap">
        <table className="list">
          <caption className="sr-only">CRM connectors</caption>
          <thead>
            <tr>
              <th scope="col">Connector</th>
              <th scope="col">Status</th>
              <th scope="col">Last test</th>
              <th scope="col">Last sync</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {connectors.length === 0 && (
              <tr>
                <td colSpan={5}>No connectors yet.</td>
              </tr>
            )}
            {connectors.map((c) => (
              <tr key={c.id} data-connector={c.system}>
                <td data-label="Connector">
                  {c.name} <span className="muted">({c.system})</span>
                  <div className="muted">{c.baseUrl}</div>
                </td>
                <td data-label="Status">
                  {c.enabled ? 'Enabled' : 'Disabled'}
                  <div className="muted">
                    {[c.useForLookup && 'lookups', c.logInteractions && 'writes back', c.syncContacts && 'syncs']
                      .filter(Boolean)
                      .join(', ')}
                  </div>
                </td>
                <td data-label="Last test">
                  {c.lastTestAt ? formatDateTime(c.lastTestAt) : 'never'}
                  {c.lastTestAt && !c.lastTestError && <div>Connected</div>}
                  {c.lastTestError && <div className="error">{c.lastTestError}</div>}
                </td>
                <td data-label="Last sync">
                  {c.lastSyncAt ? formatDateTime(c.lastSyncAt) : 'never'}
                  {c.lastSyncError && <div className="error">{c.lastSyncError}</div>}
                </td>
                <td>
                  <button type="button" onClick={() => void test(c)}>
                    Test connection
                  </button>{' '}
                  {c.syncContacts && (
                    <button
                      type="button"
                      onClick={() => void act(() => api.post(`${BASE}/${c.id}/sync`, {}), 'Sync started')}
                    >
                      Sync now
                    </button>
                  )}{' '}
                  <button
                    type="button"
                    onClick={() =>
                      void act(
                        () => api.patch(`${BASE}/${c.id}`, { enabled: !c.enabled, version: c.version }),
                        c.enabled ? 'Connector disabled' : 'Connector enabled',
                      )
                    }
                  >
                    {c.enabled ? 'Disable' : 'Enable'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
