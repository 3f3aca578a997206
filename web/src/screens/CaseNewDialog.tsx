import { useEffect, useState } from 'react';
import { api, errorText, type Page } from '../api.js';
import { Dialog } from '../components/Dialog.js';
import { customerName } from '../format.js';
import { useDebounced } from '../hooks.js';
import { navigate } from '../router.js';
import type { Customer } from '../apiTypes.js';
import { CaseNewForm } from './CaseNew.js';

/**
 * "New case" from the Cases screen: a case belongs to a customer, so the
 * dialog asks for the customer first (search by name, email, phone or account
 * number), then shows the New case form for that customer.
 */
export function CaseNewDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [q, setQ] = useState('');
  const query = useDebounced(q, 250);
  const [found, setFound] = useState<Customer[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [customer, setCustomer] = useState<Customer | null>(null);

  useEffect(() => {
    if (!open || query.trim().length < 2) {
      setFound([]);
      return;
    }
    const ctl = new AbortController();
    api.get<Page<Customer>>('/api/v1/customers', { q: query.trim(), limit: 10 }, ctl.signal).then(
      (p) => {
        setFound(p.items);
        setError(null);
      },
      (e) => {
        if (!ctl.signal.aborted) setError(errorText(e));
      },
    );
    return () => ctl.abort();
  }, [open, query]);

  const close = () => {
    setCustomer(null);
    setQ('');
    onClose();
  };

  return (
    <Dialog open={open} title={customer ? `New case for ${customerName(customer)}` : 'New case'} onClose={close} wide>
      {customer ? (
        <CaseNewForm
          customerId={customer.id}
          onCreated={(c) => {
            close();
            navigate(`/cases/${c.id}`);
          }}
          onCancel={() => setCustomer(null)}
        />
      ) : (
        <div className="case-new-customer">
          <div className="field">
            <label htmlFor="case-new-customer">Customer</label>
            <input
              id="case-new-customer"
              type="search"
              autoFocus
              placeholder="Name, email, phone or account number"
              value={q}
              onChange={(e) => setQ(e.target.value)}
            />
            <div className="hint">First choose the customer the case is for.</div>
          </div>
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
          {query.trim().length >= 2 && found.length === 0 && !error && <p className="empty">No customer matches.</p>}
          {found.length > 0 && (
            <ul className="plain" aria-label="Matching customers">
              {found.map((c) => (
                <li key={c.id}>
                  <button type="button" className="link" onClick={() => setCustomer(c)}>
                    <bdi>{customerName(c)}</bdi>
                  </button>{' '}
                  <span className="muted">
                    {c.accountNumber}
                    {c.email ? (
                      <>
                        {' '}
                        · <bdi>{c.email}</bdi>
                      </>
                    ) : null}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </Dialog>
  );
}
