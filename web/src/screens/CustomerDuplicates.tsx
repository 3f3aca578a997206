import { useEffect, useState } from 'react';
import { api } from '../api.js';
import { useDebounced } from '../hooks.js';
import { Link } from '../router.js';
import type { DuplicateCandidate } from '../apiTypes.js';

const REASON_TEXT: Record<DuplicateCandidate['reasons'][number], string> = {
  sameEmail: 'same email',
  samePhone: 'same phone',
  similarName: 'similar name',
};

export interface DuplicateProbe {
  firstName: string;
  lastName: string;
  company: string;
  email: string;
  phones: { type: string; number: string }[];
}

/** What is worth asking about: an email, a phone of 7+ digits, or both names. */
function probeBody(v: DuplicateProbe): Record<string, unknown> | null {
  const email = v.email.trim();
  const phones = v.phones.filter((p) => p.number.replace(/\D/g, '').length >= 7).map((p) => ({ number: p.number }));
  const names = v.firstName.trim().length >= 2 && v.lastName.trim().length >= 2;
  if (!email.includes('@') && phones.length === 0 && !names) return null;
  return {
    firstName: names ? v.firstName.trim() : null,
    lastName: names ? v.lastName.trim() : null,
    company: v.company.trim() || null,
    email: email.includes('@') ? email : null,
    phones,
  };
}

/** Likely duplicates of the customer being typed (C8), asked for as the agent types; a warning, never a block. */
export function DuplicateWarning({ value }: { value: DuplicateProbe }) {
  const body = probeBody(value);
  const key = useDebounced(body ? JSON.stringify(body) : '', 400);
  const [items, setItems] = useState<DuplicateCandidate[]>([]);
  useEffect(() => {
    if (!key) {
      setItems([]);
      return;
    }
    const ctl = new AbortController();
    api
      .post<{ items: DuplicateCandidate[] }>('/api/v1/customers/duplicates', JSON.parse(key), { signal: ctl.signal })
      .then(
        (r) => setItems(r.items),
        () => {
          if (!ctl.signal.aborted) setItems([]);
        },
      );
    return () => ctl.abort();
  }, [key]);
  return (
    <div role="status" aria-live="polite">
      {items.length > 0 && (
        <div className="note duplicates">
          <p>
            <strong>Possibly already a customer.</strong> Check before saving:
          </p>
          <ul className="pop-results">
            {items.map((c) => (
              <li key={c.id}>
                <Link to={`/customers/${c.id}`}>
                  {c.displayName} ({c.accountNumber})
                </Link>
                {c.draft && <span className="badge draft">Draft</span>}
                {c.company ? `, ${c.company}` : ''} — {c.reasons.map((r) => REASON_TEXT[r]).join(', ')}
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
