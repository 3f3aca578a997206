import { useEffect, useState } from 'react';
import { api, type Page } from '../api.js';
import { Link } from '../router.js';
import { customerName } from '../format.js';
import type { Customer } from '../apiTypes.js';

/** Under an "email already used" error: which customer has it, with a link to open them. */
export function EmailOwner({ email, exceptId }: { email: string; exceptId?: string }) {
  const [owner, setOwner] = useState<Customer | null>(null);
  useEffect(() => {
    if (!email.trim()) return;
    const ctl = new AbortController();
    api.get<Page<Customer>>('/api/v1/customers', { email: email.trim(), limit: 5 }, ctl.signal).then(
      (p) => setOwner(p.items.find((c) => c.id !== exceptId) ?? null),
      () => setOwner(null),
    );
    return () => ctl.abort();
  }, [email, exceptId]);
  if (!owner) return null;
  return (
    <span>
      Used by customer {owner.accountNumber} (<bdi>{customerName(owner)}</bdi>):{' '}
      <Link to={`/customers/${owner.id}`}>open customer {owner.accountNumber}</Link>
    </span>
  );
}
