import { useState, type FormEvent } from 'react';
import { api, errorText, type Page } from '../api.js';
import { SigningSecret } from '../components/SigningSecret.js';
import { Field } from '../components/Field.js';
import { useListAction, useToast } from '../components/Toasts.js';
import { useLoad } from '../hooks.js';
import { formatDateTime } from '../format.js';

interface Endpoint {
  id: string;
  url: string;
  description: string | null;
  events: string[];
  enabled: boolean;
  disabledReason: string | null;
  failingSince: string | null;
  lastSuccessAt: string | null;
  previousSecretUntil: string | null;
  version: number;
}

interface Delivery {
  id: string;
  webhookId: string;
  type: string;
  state: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
}

interface Settings {
  allowedHosts: string[];
  environmentAllowedHosts: string[];
  version: number;
}

const FLAGS: Record<string, string> = {
  gone: 'Disabled: the receiver answered 410 Gone',
  failing: 'Disabled: deliveries failed for 5 days',
};

/** Admin → Webhooks: endpoints, their secret (shown once), rotation, the delivery log, replay. */
export function AdminWebhooks() {
  const toast = useToast();
  const { data, error, reload } = useLoad(
    (signal) =>
      Promise.all([
        api.get<Endpoint[]>('/api/v1/webhooks', undefined, signal),
        api.get<{ type: string; description: string }[]>('/api/v1/webhooks/event-types', undefined, signal),
        api.get<Settings>('/api/v1/webhooks/settings', undefined, signal),
      ]),
    [],
  );
  const act = useListAction(reload);
  const [form, setForm] = useState({ url: '', description: '', events: '*' });
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [hosts, setHosts] = useState<string | null>(null);

  if (error)
    return (
      <p className="error" role="alert">
        {errorText(error)}
      </p>
    );
  if (!data) return <p>Loading webhooks…</p>;
  const [endpoints, types, settings] = data;

  const create = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const events = form.events
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const created = await api.post<Endpoint & { secret: string }>('/api/v1/webhooks', {
        url: form.url,
        events,
        description: form.description || null,
      });
      setSecret({ url: created.url, secret: created.secret });
      setFormError(null);
      setForm({ url: '', description: '', events: '*' });
      reload();
    } catch (err) {
      setFormError(errorText(err));
    }
  };

  const rotate = async (ep: Endpoint) => {
    if (!window.confirm(`Rotate the secret of ${ep.url}? The old one keeps signing for 24 hours.`)) return;
    try {
      const r = await api.post<{ secret: string }>(`/api/v1/webhooks/${ep.id}/rotate-secret`, {});
      setSecret({ url: ep.url, secret: r.secret });
      reload();
    } catch (err) {
      toast({ text: errorText(err), kind: 'error' });
    }
  };

  return (
    <div>
      <h2>Webhooks</h2>
      <p>
        Switchboard tells other systems about changes by signed HTTP POSTs (Standard Webhooks). Event types:{' '}
        {types.map((t) => t.type).join(', ')}, or * for all.
      </p>
      <form className="filters" onSubmit={create} aria-label="New webhook endpoint">
        <Field label="URL" value={form.url} onChange={(e) => setForm({ ...form, url: e.target.value })} />
        <Field
          label="Events (comma-separated)"
          value={form.events}
          onChange={(e) => setForm({ ...form, events: e.target.value })}
        />
        <Field
          label="Description"
          value={form.description}
          onChange={(e) => setForm({ ...form, description: e.target.value })}
        />
        <div className="field end">
          <button type="submit" className="primary">
            Add endpoint
          </button>
        </div>
      </form>
      {formError && (
        <p className="error" role="alert">
          {formError}
        </p>
      )}
      {secret && (
        <SigningSecret of={secret.url} secret={secret.secret} testId="webhook-secret" onDone={() => setSecret(null)} />
      )}
      <div className="table-wrap">
        <table className="list">
          <caption className="sr-only">Webhook endpoints</caption>
          <thead>
            <tr>
              <th scope="col">URL</th>
              <th scope="col">Events</th>
              <th scope="col">Status</th>
              <th scope="col">Last success</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {endpoints.map((ep) => (
              <tr key={ep.id}>
                <td data-label="URL">
                  {ep.url}
                  {ep.description && <div className="muted">{ep.description}</div>}
                </td>
                <td data-label="Events">{ep.events.join(', ')}</td>
                <td data-label="Status">
                  {ep.enabled ? 'Enabled' : ep.disabledReason ? '' : 'Disabled'}
                  {ep.disabledReason && (
                    <strong className="error" role="status">
                      {FLAGS[ep.disabledReason] ?? `Disabled (${ep.disabledReason})`}
                    </strong>
                  )}
                  {ep.enabled && ep.failingSince && (
                    <div className="error">Failing since {formatDateTime(ep.failingSince)}</div>
                  )}
                  {ep.previousSecretUntil && (
                    <div className="muted">Old secret also signs until {formatDateTime(ep.previousSecretUntil)}</div>
                  )}
                </td>
                <td data-label="Last success">{ep.lastSuccessAt ? formatDateTime(ep.lastSuccessAt) : 'never'}</td>
                <td>
                  <button type="button" onClick={() => setOpen(open === ep.id ? null : ep.id)}>
                    {open === ep.id ? 'Hide deliveries' : 'Deliveries'}
                  </button>{' '}
                  <button
                    type="button"
                    onClick={() => void act(() => api.post(`/api/v1/webhooks/${ep.id}/test`), 'Test event queued')}
                  >
                    Send test
                  </button>{' '}
                  <button type="button" onClick={() => void rotate(ep)}>
                    Rotate secret
                  </button>{' '}
                  <button
                    type="button"
                    onClick={() =>
                      void act(
                        () => api.patch(`/api/v1/webhooks/${ep.id}`, { enabled: !ep.enabled }),
                        ep.enabled ? 'Endpoint disabled' : 'Endpoint enabled',
                      )
                    }
                  >
                    {ep.enabled ? 'Disable' : 'Enable'}
                  </button>{' '}
                  <button
                    type="button"
                    className="danger"
                    onClick={() =>
                      window.confirm(`Delete ${ep.url} and its delivery log?`) &&
                      void act(() => api.del(`/api/v1/webhooks/${ep.id}`), 'Endpoint deleted')
                    }
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {open && <Deliveries endpointId={open} />}
      <h3>Allowed private hosts</h3>
      <p>
        Deliveries to loopback, private, link-local and cloud-metadata addresses are refused unless listed here (host
        names or addresses, comma-separated).
        {settings.environmentAllowedHosts.length > 0 &&
          ` The server's environment also allows: ${settings.environmentAllowedHosts.join(', ')}.`}
      </p>
      <form
        className="filters"
        aria-label="Allowed hosts"
        onSubmit={(e) => {
          e.preventDefault();
          const list = (hosts ?? settings.allowedHosts.join(', '))
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
          void act(
            () => api.put('/api/v1/webhooks/settings', { allowedHosts: list, version: settings.version }),
            'Allowed hosts saved',
          );
          setHosts(null);
        }}
      >
        <Field
          label="Allowed hosts"
          value={hosts ?? settings.allowedHosts.join(', ')}
          onChange={(e) => setHosts(e.target.value)}
        />
        <div className="field end">
          <button type="submit">Save</button>
        </div>
      </form>
    </div>
  );
}

function Deliveries({ endpointId }: { endpointId: string }) {
  const toast = useToast();
  const { data, error, reload } = useLoad(
    (signal) => api.get<Page<Delivery>>(`/api/v1/webhooks/${endpointId}/deliveries`, { limit: 50 }, signal),
    [endpointId],
  );
  if (error)
    return (
      <p className="error" role="alert">
        {errorText(error)}
      </p>
    );
  if (!data) return <p>Loading deliveries…</p>;
  const replay = async (d: Delivery) => {
    try {
      await api.post(`/api/v1/webhooks/${endpointId}/deliveries/${d.id}/replay`);
      toast({ text: 'Delivery queued again' });
      reload();
    } catch (err) {
      toast({ text: errorText(err), kind: 'error' });
    }
  };
  return (
    <div className="table-wrap">
      <table className="list">
        <caption>Deliveries (newest first)</caption>
        <thead>
          <tr>
            <th scope="col">Created</th>
            <th scope="col">Event</th>
            <th scope="col">State</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last answer</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {data.items.map((d) => (
            <tr key={d.id}>
              <td data-label="Created">{formatDateTime(d.createdAt)}</td>
              <td data-label="Event">
                {d.type} <code className="muted">{d.webhookId}</code>
              </td>
              <td data-label="State">
                {d.state}
                {d.state === 'pending' && d.nextAttemptAt && ` (next ${formatDateTime(d.nextAttemptAt)})`}
              </td>
              <td data-label="Attempts">{d.attempts}</td>
              <td data-label="Last answer">{d.lastStatus ?? d.lastError ?? ''}</td>
              <td>
                {d.state !== 'pending' && (
                  <button type="button" onClick={() => void replay(d)}>
                    Replay
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
