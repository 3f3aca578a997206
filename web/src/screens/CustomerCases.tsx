import { useEffect, useState } from 'react';
import { api, errorText, type Page } from '../api.js';
import { Dialog } from '../components/Dialog.js';
import { useStoredState } from '../hooks.js';
import { labelOf, useCaseRefs, userName } from '../lookups.js';
import { formatDateTime } from '../format.js';
import { Link, navigate } from '../router.js';
import { useSession } from '../session.js';
import type { Case, CaseUnitary, Customer } from '../apiTypes.js';
import { CaseNewForm } from './CaseNew.js';
import { CasesTable } from '../components/CasesTable.js';

function CaseTable({ customerId }: { customerId: string }) {
  const [items, setItems] = useState<Case[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const path = `/api/v1/customers/${customerId}/cases`;

  useEffect(() => {
    const ctl = new AbortController();
    api.get<Page<Case>>(path, { limit: 25 }, ctl.signal).then(
      (p) => {
        setItems(p.items);
        setNext(p.nextCursor);
        setLoading(false);
      },
      (e) => {
        if (!ctl.signal.aborted) setError(errorText(e));
        setLoading(false);
      },
    );
    return () => ctl.abort();
  }, [path]);

  const more = async () => {
    try {
      const p = await api.get<Page<Case>>(path, { limit: 25, cursor: next ?? undefined });
      setItems((o) => [...o, ...p.items]);
      setNext(p.nextCursor);
    } catch (e) {
      setError(errorText(e));
    }
  };

  if (error)
    return (
      <p className="error" role="alert">
        {error}
      </p>
    );
  if (loading) return <p>Loading cases…</p>;
  if (items.length === 0) return <p className="empty">No cases yet.</p>;
  return (
    <>
      <CasesTable items={items} caption="Cases of this customer" showSeverity={false} />
      {next && (
        <button type="button" onClick={() => void more()}>
          Load more
        </button>
      )}
    </>
  );
}

/** One case at a time, newest first, with previous / next. */
function CaseUnitaryView({ customerId }: { customerId: string }) {
  const { settings, users } = useCaseRefs();
  const [position, setPosition] = useState(1);
  const [data, setData] = useState<CaseUnitary | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [empty, setEmpty] = useState(false);

  useEffect(() => {
    const ctl = new AbortController();
    api.get<CaseUnitary>(`/api/v1/customers/${customerId}/cases`, { position }, ctl.signal).then(
      (d) => {
        setData(d);
        setError(null);
      },
      (e) => {
        if (ctl.signal.aborted) return;
        if ((e as { status?: number }).status === 404 && position === 1) setEmpty(true);
        else setError(errorText(e));
      },
    );
    return () => ctl.abort();
  }, [customerId, position]);

  if (empty) return <p className="empty">No cases yet.</p>;
  if (error)
    return (
      <p className="error" role="alert">
        {error}
      </p>
    );
  if (!data) return <p>Loading…</p>;
  const c = data.item;
  return (
    <article className="case-card" aria-label={`Case ${c.caseNumber}`}>
      <nav className="pager" aria-label="Cases one at a time">
        <button type="button" disabled={data.previous === null} onClick={() => setPosition(data.previous ?? 1)}>
          ← Previous
        </button>
        <span aria-live="polite">
          Case {data.position} of {data.total}
        </span>
        <button type="button" disabled={data.next === null} onClick={() => setPosition(data.next ?? position)}>
          Next →
        </button>
      </nav>
      <h3>
        <Link to={`/cases/${c.id}`}>
          Case {c.caseNumber}: <bdi>{c.subject}</bdi>
        </Link>
      </h3>
      <dl className="details compact">
        <div>
          <dt>Status</dt>
          <dd>{labelOf(settings?.statuses, c.status)}</dd>
        </div>
        <div>
          <dt>Priority</dt>
          <dd>{labelOf(settings?.priorities, c.priority)}</dd>
        </div>
        <div>
          <dt>Severity</dt>
          <dd>{labelOf(settings?.severities, c.severity)}</dd>
        </div>
        <div>
          <dt>Visibility</dt>
          <dd>{c.visibility}</dd>
        </div>
        <div>
          <dt>Owner</dt>
          <dd>{userName(users, c.ownerId)}</dd>
        </div>
        <div>
          <dt>Opened</dt>
          <dd>{formatDateTime(c.openedAt)}</dd>
        </div>
      </dl>
      {c.description && <p className="description">{c.description}</p>}
    </article>
  );
}

export function CustomerCases({ customer }: { customer: Customer }) {
  const { can } = useSession();
  const [view, setView] = useStoredState<'table' | 'unitary'>('customer:casesView', 'table');
  const [creating, setCreating] = useState(false);
  return (
    <div className="customer-cases">
      <div className="toolbar">
        <div role="group" aria-label="Case view" className="segmented">
          <button type="button" aria-pressed={view === 'table'} onClick={() => setView('table')}>
            Table
          </button>
          <button type="button" aria-pressed={view === 'unitary'} onClick={() => setView('unitary')}>
            One at a time
          </button>
        </div>
        {can('cases.create') && (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New case
          </button>
        )}
      </div>
      {view === 'table' ? <CaseTable customerId={customer.id} /> : <CaseUnitaryView customerId={customer.id} />}
      <Dialog open={creating} title="New case" onClose={() => setCreating(false)} wide>
        <CaseNewForm
          customerId={customer.id}
          onCreated={(c) => {
            setCreating(false);
            navigate(`/cases/${c.id}`);
          }}
          onCancel={() => setCreating(false)}
        />
      </Dialog>
    </div>
  );
}
