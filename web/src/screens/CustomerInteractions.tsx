import { useEffect, useState } from 'react';
import { ApiError, errorText } from '../api.js';
import { formatContactAddress, formatDateTime } from '../format.js';
import { live } from '../live.js';
import { interactionsApi, type Interaction } from './interactionsApi.js';

/** A customer's interactions (calls, chats, emails), newest first, with their notes. */
export function CustomerInteractions({ customerId }: { customerId: string }) {
  const [items, setItems] = useState<Interaction[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);

  // A new interaction of this customer (reported, associated, wrapped up elsewhere): the log reloads.
  useEffect(
    () =>
      live.on('record.changed', (e) => {
        if (e.recordType === 'interaction' && e.customerId === customerId) setTick((t) => t + 1);
      }),
    [customerId],
  );

  useEffect(() => {
    interactionsApi.ofCustomer(customerId).then(
      (p) => {
        setItems(p.items);
        setNext(p.nextCursor);
        setLoading(false);
      },
      (e) => {
        setError(
          e instanceof ApiError && e.status === 404
            ? 'Interactions are not available on this server yet.'
            : errorText(e),
        );
        setLoading(false);
      },
    );
  }, [customerId, tick]);

  const more = async () => {
    try {
      const p = await interactionsApi.ofCustomer(customerId, next ?? undefined);
      setItems((o) => [...o, ...p.items]);
      setNext(p.nextCursor);
    } catch (e) {
      setError(errorText(e));
    }
  };

  if (loading) return <p>Loading interactions…</p>;
  if (error) return <p className="note">{error}</p>;
  if (items.length === 0) return <p className="empty">No interactions yet.</p>;
  return (
    <>
      <ol className="timeline" aria-label="Interactions">
        {items.map((i) => (
          <li key={i.id}>
            <div className="meta">
              <span className="badge">{i.channel}</span> <span className="badge">{i.direction}</span>{' '}
              <strong>
                {i.direction === 'inbound'
                  ? formatContactAddress(i.from) || 'unknown'
                  : formatContactAddress(i.to) || 'unknown'}
              </strong>{' '}
              <time dateTime={i.startedAt ?? i.createdAt}>{formatDateTime(i.startedAt ?? i.createdAt)}</time>
              {i.disposition && <span className="badge">{i.disposition}</span>}
            </div>
            {i.notes && <div className="body">{i.notes}</div>}
          </li>
        ))}
      </ol>
      {next && (
        <button type="button" onClick={() => void more()}>
          Older interactions
        </button>
      )}
    </>
  );
}
