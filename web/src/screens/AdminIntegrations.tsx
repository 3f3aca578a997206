import { useState, type FormEvent } from 'react';
import { api, errorText, fieldErrors } from '../api.js';
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

/** How long the old signing secret keeps signing after a rotation (the API's default, 24 hours, preselected). */
const GRACES = [
  { value: '0', label: 'No grace: the old secret stops now', words: 'the old one stops signing at once' },
  { value: '3600', label: '1 hour', words: 'the old one keeps signing too for 1 hour' },
  { value: '86400', label: '24 hours (default)', words: 'the old one keeps signing too for 24 hours' },
  { value: '604800', label: '7 days', words: 'the old one keeps signing too for 7 days' },
];
const DEFAULT_GRACE = '86400';

/** What the last sync did, in words: only the counts that are not zero. */
function countsText(counts: Record<string, number>): string {
  const shown = Object.entries(counts).filter(([k, v]) => v > 0 && k !== 'pages');
  return shown.length === 0 ? 'nothing changed' : shown.map(([k, v]) => `${v} ${k}`).join(', ');
}

/** The edit form's values: text as typed (numbers checked by the server, which names the field). */
interface EditValues {
  name: string;
  baseUrl: string;
  budget: string;
  interval: string;
  username: string;
  password: string;
  enabled: boolean;
  useForLookup: boolean;
  logInteractions: boolean;
  syncContacts: boolean;
  pushContacts: boolean;
}

const editValues = (c: Connector): EditValues => ({
  name: c.name,
  baseUrl: c.baseUrl,
  budget: String(c.lookupBudgetMs),
  interval: c.syncIntervalMinutes === null ? '' : String(c.syncIntervalMinutes),
  username: c.username ?? '',
  password: '',
  enabled: c.enabled,
  useForLookup: c.useForLookup,
  logInteractions: c.logInteractions,
  syncContacts: c.syncContacts,
  pushContacts: c.pushContacts,
});

/** A number as typed, or the text itself (the server's 400 then names the field in words). */
const numberOr = (text: string): number | string => (/^\s*-?\d+\s*$/.test(text) ? Number(text) : text);

/**
 * Changes one connector: its URL, budget, switches, schedule and, for an
 * address book, its account; the password is never shown back (empty: kept).
 */
function ConnectorEdit({
  connector,
  onDone,
  onRotated,
}: {
  connector: Connector;
  onDone: (saved: boolean) => void;
  /** A new signing secret (http): shown once by the screen. */
  onRotated: (secret: string) => void;
}) {
  const [v, setV] = useState(() => editValues(connector));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [grace, setGrace] = useState(DEFAULT_GRACE);
  const set = (patch: Partial<EditValues>) => setV({ ...v, ...patch });
  const carddav = connector.kind === 'carddav';

  const save = async (e: FormEvent) => {
    e.preventDefault();
    const body: Record<string, unknown> = {
      name: v.name,
      baseUrl: v.baseUrl,
      lookupBudgetMs: numberOr(v.budget),
      syncIntervalMinutes: v.interval.trim() === '' ? null : numberOr(v.interval),
      enabled: v.enabled,
      useForLookup: v.useForLookup,
      logInteractions: v.logInteractions,
      syncContacts: v.syncContacts,
      pushContacts: v.pushContacts,
      version: connector.version,
    };
    if (carddav) {
      body.username = v.username;
      if (v.password !== '') body.password = v.password;
    }
    try {
      await api.patch(`${BASE}/${connector.id}`, body);
      onDone(true);
    } catch (err) {
      const fields = fieldErrors(err);
      setErrors(fields);
      setGeneral(Object.keys(fields).length === 0 ? errorText(err) : null);
    }
  };

  const rotate = async () => {
    const chosen = GRACES.find((g) => g.value === grace) ?? GRACES[2];
    const tail = chosen.value === '0' ? ': the CRM must switch over now.' : ', so the CRM can switch over.';
    if (
      !window.confirm(
        `Rotate the signing secret of ${connector.name}? The new one is shown once; ${chosen.words}${tail}`,
      )
    )
      return;
    try {
      const r = await api.post<ConnectorWithSecret>(`${BASE}/${connector.id}/rotate-secret`, {
        graceSeconds: Number(chosen.value),
      });
      if (r.secret) onRotated(r.secret);
      setGeneral(null);
    } catch (err) {
      setGeneral(errorText(err));
    }
  };

  const check = (
    label: string,
    key: 'enabled' | 'useForLookup' | 'logInteractions' | 'syncContacts' | 'pushContacts',
  ) => (
    <label className="check">
      <input type="checkbox" checked={v[key]} onChange={(e) => set({ [key]: e.target.checked })} /> {label}
    </label>
  );

  return (
    <form className="filters" onSubmit={save} aria-label={`Edit connector ${connector.name}`}>
      <h3 className="full">
        Edit {connector.name} ({carddav ? 'CardDAV' : 'HTTP'}, {connector.system})
      </h3>
      <Field label="Name" value={v.name} error={errors.name} onChange={(e) => set({ name: e.target.value })} />
      <Field
        label={carddav ? 'Address book URL' : 'Base URL'}
        value={v.baseUrl}
        error={errors.baseUrl}
        onChange={(e) => set({ baseUrl: e.target.value })}
      />
      <Field
        label="Lookup budget (ms)"
        inputMode="numeric"
        value={v.budget}
        error={errors.lookupBudgetMs}
        hint="50 to 5,000: how long the screen pop waits for it"
        onChange={(e) => set({ budget: e.target.value })}
      />
      <Field
        label="Sync every (minutes)"
        inputMode="numeric"
        value={v.interval}
        error={errors.syncIntervalMinutes}
        hint="5 to 1,440; empty: only with Sync now"
        onChange={(e) => set({ interval: e.target.value })}
      />
      {carddav && (
        <>
          <Field
            label="User name"
            value={v.username}
            autoComplete="off"
            error={errors.username}
            onChange={(e) => set({ username: e.target.value })}
          />
          <Field
            label="New password"
            type="password"
            value={v.password}
            autoComplete="new-password"
            error={errors.password}
            hint="empty: keep the current one (never shown)"
            onChange={(e) => set({ password: e.target.value })}
          />
        </>
      )}
      <fieldset>
        <legend>Use</legend>
        {check('Enabled', 'enabled')}
        {check('Screen pop lookups', 'useForLookup')}
        {check('Write interactions back', 'logInteractions')}
        {check('Sync contacts', 'syncContacts')}
        {check(`Push local changes to ${carddav ? 'the address book' : 'the CRM'}`, 'pushContacts')}
        <span className="muted">Off: syncs only pull; {connector.system} stays the source of truth.</span>
      </fieldset>
      <div className="field end">
        <button type="submit" className="primary">
          Save connector
        </button>{' '}
        <button type="button" onClick={() => onDone(false)}>
          Cancel
        </button>
      </div>
      {!carddav && (
        <>
          <Select
            label="After a rotation, the old secret signs for"
            value={grace}
            options={GRACES}
            onChange={(e) => setGrace(e.target.value)}
          />
          <div className="field end">
            <button type="button" onClick={() => void rotate()}>
              Rotate signing secret
            </button>
          </div>
        </>
      )}
      {connector.previousSecretUntil && (
        <p className="muted full">
          The previous secret also signs every request until {formatDateTime(connector.previousSecretUntil)}.
        </p>
      )}
      {general && (
        <p className="error" role="alert">
          {general}
        </p>
      )}
    </form>
  );
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
  const [editing, setEditing] = useState<string | null>(null);

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

  /** Removing keeps every customer and its id in the connector's system (docs/webhooks.md, Removing a connector). */
  const remove = async (c: Connector) => {
    if (
      !window.confirm(
        `Remove ${c.name}? Switchboard stops asking, writing back to and syncing with it. ` +
          `Customers keep all their data, including their ${c.system} ids; nothing is deleted in ${c.system}. ` +
          `Adding a connector for ${c.system} again links them back.`,
      )
    )
      return;
    if (editing === c.id) setEditing(null);
    await act(() => api.del(`${BASE}/${c.id}`), `${c.name} removed`);
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
        and sync its contacts with customers both ways. Requests are signed like webhooks. A CardDAV address book syncs
        its contacts with customers the same way.
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
      {connectors
        .filter((c) => c.id === editing)
        .map((c) => (
          <ConnectorEdit
            key={c.id}
            connector={c}
            onDone={(saved) => {
              setEditing(null);
              if (saved) {
                toast({ text: `${c.name}: saved` });
                reload();
              }
            }}
            onRotated={(fresh) => {
              setSecret({ name: c.name, secret: fresh });
              reload();
            }}
          />
        ))}
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
                    {[
                      c.useForLookup && 'lookups',
                      c.logInteractions && 'writes back',
                      c.syncContacts && (c.pushContacts ? 'syncs' : 'syncs (pull only)'),
                    ]
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
                  {c.lastSyncProblems && c.lastSyncProblems.length > 0 && (
                    <details>
                      <summary className="error">
                        {c.lastSyncProblems.length === 1 ? '1 contact' : `${c.lastSyncProblems.length} contacts`} not
                        synced
                      </summary>
                      <ul>
                        {c.lastSyncProblems.map((p, i) => (
                          <li key={`${i}-${p.externalId}`}>
                            {p.externalId}: {p.error}
                          </li>
                        ))}
                      </ul>
                    </details>
                  )}
                </td>
                <td>
                  <button type="button" onClick={() => setEditing(c.id)} aria-label={`Edit ${c.name}`}>
                    Edit
                  </button>{' '}
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
                  </button>{' '}
                  <button
                    type="button"
                    className="danger"
                    onClick={() => void remove(c)}
                    aria-label={`Remove ${c.name}`}
                  >
                    Remove
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
