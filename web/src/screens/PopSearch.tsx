import { useId, useState, type FormEvent } from 'react';
import { api, errorText, type Page } from '../api.js';
import { customerName } from '../format.js';
import type { Customer } from '../apiTypes.js';

/** Search by other criteria (account number, postal code, name, company) and pick the caller. */
export function PopSearch({ onPick }: { onPick: (customerId: string) => void }) {
  const id = useId();
  const [crit, setCrit] = useState({ accountNumber: '', postalCode: '', q: '' });
  const [results, setResults] = useState<Customer[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const search = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const p = await api.get<Page<Customer>>('/api/v1/customers', {
        accountNumber: crit.accountNumber.trim() || undefined,
        postalCode: crit.postalCode.trim() || undefined,
        q: crit.q.trim() || undefined,
        draft: 'false',
        limit: 10,
      });
      setResults(p.items);
      setError(null);
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <form className="pop-search" onSubmit={search} aria-label="Find the caller">
      <p className="hint">Or find them by other details:</p>
      <div className="field">
        <label htmlFor={`${id}-acc`}>Account number</label>
        <input
          id={`${id}-acc`}
          value={crit.accountNumber}
          onChange={(e) => setCrit({ ...crit, accountNumber: e.target.value })}
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-pc`}>Postal code</label>
        <input
          id={`${id}-pc`}
          value={crit.postalCode}
          onChange={(e) => setCrit({ ...crit, postalCode: e.target.value })}
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-q`}>Name or company</label>
        <input id={`${id}-q`} value={crit.q} onChange={(e) => setCrit({ ...crit, q: e.target.value })} />
      </div>
      <button type="submit">Search</button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {results && results.length === 0 && <p className="empty">Nobody found.</p>}
      {results && results.length > 0 && (
        <ul className="pop-results">
          {results.map((c) => (
            <li key={c.id}>
              <bdi>{customerName(c)}</bdi> ({c.accountNumber})
              {c.company ? (
                <>
                  , <bdi>{c.company}</bdi>
                </>
              ) : (
                ''
              )}{' '}
              <button type="button" onClick={() => onPick(c.id)}>
                Link to {customerName(c)}
              </button>
            </li>
          ))}
        </ul>
      )}
    </form>
  );
}
