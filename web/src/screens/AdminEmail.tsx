import { useState } from 'react';
import { api, errorText, type Page } from '../api.js';
import { Dialog } from '../components/Dialog.js';
import { useToast } from '../components/Toasts.js';
import { formatDateTime } from '../format.js';
import { useLoad } from '../hooks.js';

interface QuarantineItem {
  id: string;
  status: 'held' | 'resolved';
  reason: string;
  subject: string | null;
  from: string | null;
  size: number;
  attempts: number;
  receivedAt: string;
}

interface OutboxItem {
  id: string;
  status: string;
  to: string[];
  subject: string;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
}

/** Mail that could not be taken in (quarantine) and mail that could not be sent (outbox): look, retry. */
export function AdminEmail() {
  const toast = useToast();
  const { data, error, reload } = useLoad(
    (signal) =>
      Promise.all([
        api.get<Page<QuarantineItem>>('/api/v1/email/quarantine', { status: 'held', limit: 100 }, signal),
        api.get<Page<OutboxItem>>('/api/v1/email/outbox', { status: 'failed', limit: 100 }, signal),
      ]),
    [],
  );
  const [source, setSource] = useState<string | null>(null);

  const retry = async (path: string, what: string) => {
    try {
      await api.post(path, {});
      toast({ text: `${what}: tried again`, kind: 'success' });
    } catch (e) {
      toast({ text: errorText(e), kind: 'error' });
    }
    reload();
  };
  const showSource = async (id: string) => {
    setSource('Loading…');
    const res = await fetch(`/api/v1/email/quarantine/${id}/source`, { credentials: 'same-origin' });
    setSource(res.ok ? await res.text() : `Not available (${res.status})`);
  };

  if (error)
    return (
      <p className="error" role="alert">
        {errorText(error)}
      </p>
    );
  if (!data) return <p>Loading mail…</p>;
  const [quarantine, outbox] = data;
  return (
    <div>
      <h2>Quarantined messages</h2>
      {quarantine.items.length === 0 ? (
        <p className="empty">Nothing held: every message was taken in.</p>
      ) : (
        <div className="table-wrap">
          <table className="list">
            <caption className="sr-only">Quarantined messages</caption>
            <thead>
              <tr>
                <th scope="col">Received</th>
                <th scope="col">From</th>
                <th scope="col">Subject</th>
                <th scope="col">Reason</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {quarantine.items.map((q) => (
                <tr key={q.id}>
                  <td data-label="Received">{formatDateTime(q.receivedAt)}</td>
                  <td data-label="From">{q.from ?? '—'}</td>
                  <td data-label="Subject">{q.subject ?? '—'}</td>
                  <td data-label="Reason">{q.reason}</td>
                  <td className="row-actions">
                    <button type="button" onClick={() => void showSource(q.id)}>
                      Source
                    </button>
                    <button
                      type="button"
                      onClick={() => void retry(`/api/v1/email/quarantine/${q.id}/retry`, 'Message')}
                    >
                      Retry
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>Mail that could not be sent</h2>
      {outbox.items.length === 0 ? (
        <p className="empty">No failed deliveries.</p>
      ) : (
        <div className="table-wrap">
          <table className="list">
            <caption className="sr-only">Failed outgoing mail</caption>
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">To</th>
                <th scope="col">Subject</th>
                <th scope="col">Error</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {outbox.items.map((o) => (
                <tr key={o.id}>
                  <td data-label="Created">{formatDateTime(o.createdAt)}</td>
                  <td data-label="To">{o.to.join(', ')}</td>
                  <td data-label="Subject">{o.subject}</td>
                  <td data-label="Error">
                    {o.lastError ?? '—'} ({o.attempts} attempts)
                  </td>
                  <td>
                    <button type="button" onClick={() => void retry(`/api/v1/email/outbox/${o.id}/retry`, 'Mail')}>
                      Send now
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Dialog open={source !== null} title="Message source" onClose={() => setSource(null)} wide>
        <pre className="source">{source}</pre>
      </Dialog>
    </div>
  );
}
