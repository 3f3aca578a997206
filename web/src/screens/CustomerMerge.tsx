import { useEffect, useId, useState, type FormEvent } from 'react';
import { api, ApiError, errorText, type Page } from '../api.js';
import { Dialog } from '../components/Dialog.js';
import { customerName } from '../format.js';
import { useSession } from '../session.js';
import type { Customer, DuplicateCandidate, MergeResult } from '../apiTypes.js';

interface Choice {
  id: string;
  accountNumber: string;
  name: string;
  version: number;
  note: string;
}

/**
 * "Merge another customer into this one" (C8): find the other customer (its
 * likely duplicates are offered first), see what would move (a dry run), confirm.
 */
export function MergeDialog({
  customer,
  open,
  onClose,
  onMerged,
}: {
  customer: Customer;
  open: boolean;
  onClose: () => void;
  onMerged: (r: MergeResult) => void;
}) {
  const id = useId();
  const { can } = useSession();
  const canCreate = can('customers.create');
  const [q, setQ] = useState('');
  const [found, setFound] = useState<Choice[] | null>(null);
  const [likely, setLikely] = useState<Choice[]>([]);
  const [chosen, setChosen] = useState<Choice | null>(null);
  const [preview, setPreview] = useState<MergeResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!open) {
      setQ('');
      setFound(null);
      setChosen(null);
      setPreview(null);
      setError(null);
      return;
    }
    if (!canCreate) return;
    const ctl = new AbortController();
    api
      .post<{ items: DuplicateCandidate[] }>(
        '/api/v1/customers/duplicates',
        {
          firstName: customer.firstName,
          lastName: customer.lastName,
          company: customer.company,
          email: customer.email,
          phones: customer.phones.map((p) => ({ number: p.number })),
          excludeId: customer.id,
        },
        { signal: ctl.signal },
      )
      .then(
        (r) =>
          setLikely(
            r.items.map((c) => ({
              id: c.id,
              accountNumber: c.accountNumber,
              name: c.displayName,
              version: c.version,
              note: c.reasons.map((x) => x.replace(/([A-Z])/g, ' $1').toLowerCase()).join(', '),
            })),
          ),
        () => setLikely([]),
      );
    return () => ctl.abort();
    // Asked again only for another record or version.
  }, [open, customer.id, customer.version, canCreate]);

  const search = async (e: FormEvent) => {
    e.preventDefault();
    if (!q.trim()) return;
    try {
      const p = await api.get<Page<Customer>>('/api/v1/customers', { q: q.trim(), limit: 10 });
      setFound(
        p.items
          .filter((c) => c.id !== customer.id)
          .map((c) => ({
            id: c.id,
            accountNumber: c.accountNumber,
            name: customerName(c),
            version: c.version,
            note: [c.company, c.email].filter(Boolean).join(', '),
          })),
      );
      setError(null);
    } catch (err) {
      setError(errorText(err));
    }
  };

  const run = async (p: Choice, dryRun: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const r = await api.post<MergeResult>(`/api/v1/customers/${customer.id}/merge`, {
        fromId: p.id,
        version: customer.version,
        fromVersion: p.version,
        dryRun,
      });
      if (dryRun) {
        setChosen(p);
        setPreview(r);
      } else onMerged(r);
    } catch (err) {
      setError(
        err instanceof ApiError && err.isStale
          ? 'One of the two customers was changed meanwhile; close this, check the record and try again.'
          : errorText(err),
      );
    } finally {
      setBusy(false);
    }
  };

  const list = (items: Choice[], label: string) => (
    <ul className="pop-results" aria-label={label}>
      {items.map((c) => (
        <li key={c.id}>
          {c.name} ({c.accountNumber}){c.note ? ` — ${c.note}` : ''}{' '}
          <button type="button" disabled={busy} onClick={() => void run(c, true)}>
            Choose {c.accountNumber}
          </button>
        </li>
      ))}
    </ul>
  );

  return (
    <Dialog open={open} title="Merge another customer into this one" onClose={onClose} wide>
      {!preview ? (
        <>
          <p className="hint">
            The customer you choose is merged into <bdi>{customerName(customer)}</bdi> ({customer.accountNumber}) and
            then deleted.
          </p>
          {likely.length > 0 && (
            <>
              <h3>Likely duplicates</h3>
              {list(likely, 'Likely duplicates')}
            </>
          )}
          <form className="pop-search" onSubmit={search} aria-label="Find the customer to merge">
            <div className="field">
              <label htmlFor={`${id}-q`}>Name, company, email, account number or phone</label>
              <input id={`${id}-q`} value={q} onChange={(e) => setQ(e.target.value)} />
            </div>
            <button type="submit">Search</button>
          </form>
          {found && found.length === 0 && <p className="empty">Nobody found.</p>}
          {found && found.length > 0 && list(found, 'Search results')}
        </>
      ) : (
        chosen && (
          <>
            <p>
              Merge <strong>{chosen.name}</strong> ({chosen.accountNumber}) into{' '}
              <strong>
                <bdi>{customerName(customer)}</bdi>
              </strong>{' '}
              ({customer.accountNumber}):
            </p>
            <ul>
              <li>Cases moving: {preview.moved.cases}</li>
              <li>Tasks moving: {preview.moved.tasks}</li>
              <li>Interactions moving: {preview.moved.interactions}</li>
              <li>Phone numbers added: {preview.moved.phones}</li>
              {preview.moved.portalAccount && <li>The Support Center account moves</li>}
              <li>
                Afterwards: <bdi>{customerName(preview.customer)}</bdi>
                {preview.customer.company ? `, ${preview.customer.company}` : ''}
                {preview.customer.email ? `, ${preview.customer.email}` : ''}
              </li>
              <li>{chosen.accountNumber} is deleted (its history is kept and says where it went)</li>
            </ul>
            <div className="actions">
              <button type="button" className="danger" disabled={busy} onClick={() => void run(chosen, false)}>
                Merge {chosen.accountNumber} into {customer.accountNumber}
              </button>
              <button
                type="button"
                onClick={() => {
                  setPreview(null);
                  setChosen(null);
                }}
              >
                Back
              </button>
            </div>
          </>
        )
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  );
}
