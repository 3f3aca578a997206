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

const KINDS = [
  { value: 'http', label: 'HTTP (signed JSON)' },
  { value: 'carddav', label: 'CardDAV address book' },
];

/** What the last sync did, in words: only the counts that are not zero. */
function countsText(counts: Record<string, number>): string {
  const shown = Object.entries(counts).filter(([k, v]) => v > 0 && k !== 'pages');
  return shown.length === 0 ? 'nothing changed' : shown.map(([k, v]) => `${v} ${k}`).join(', ');
}

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
  const empty = { kind: 'http', name: '', system: '', baseUrl: '', username: '', password: '', interval: '' };
  const [form, setForm] = useState(empty);
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
      const { kind, name, system, baseUrl, username, password, interval } = form;
      const body =
        kind === 'carddav'
          ? { kind, name, system, baseUrl, username, password, syncIntervalMinutes: interval ? Number(interval) : null }
          : { kind, name, system, baseUrl };
      const created = await api.post<ConnectorWithSecret>(BASE, body);
      if (created.secret) setSecret({ name: created.name, secret: created.secret });
      setFormError(null);
      setForm(empty);
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
        and pull its contacts into customers. Requests are signed like webhooks. A CardDAV address book syncs its
        contacts with customers both ways.
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
        <Select
          label="Kind"
          value={form.kind}
          options={KINDS}
          onChange={(e) => setForm({ ...form, kind: e.target.value })}
        />
        <Field label="Name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
        <Field
          label="System (external id)"
          value={form.system}
          onChange={(e) => setForm({ ...form, system: e.target.value })}
        />
        <Field
          label={form.kind === 'carddav' ? 'Address book URL' : 'Base URL'}
          value={form.baseUrl}
          onChange={(e) => setForm({ ...form, baseUrl: e.target.value })}
        />
        {form.kind === 'carddav' && (
          <>
            <Field
              label="User name"
              value={form.username}
              autoComplete="off"
              onChange={(e) => setForm({ ...form, username: e.target.value })}
            />
            <Field
              label="Password"
              type="password"
              value={form.password}
              autoComplete="new-password"
              onChange={(e) => setForm({ ...form, password: e.target.value })}
            />
            <Field
              label="Sync every (minutes)"
              type="number"
              min={5}
              max={1440}
              value={form.interval}
              hint="empty: only with Sync now"
              onChange={(e) => setForm({ ...form, interval: e.target.value })}
            />
          </>
        )}
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
                  {c.name} <span className="muted">({c.kind === 'carddav' ? `CardDAV, ${c.system}` : c.system})</span>
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
                  {c.lastSyncCounts && <div className="muted">{countsText(c.lastSyncCounts)}</div>}
                  {c.syncIntervalMinutes !== null && <div className="muted">every {c.syncIntervalMinutes} min</div>}
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
