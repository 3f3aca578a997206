export { formatContactAddress, formatPhone } from '../../src/formats/contact-address.js';
import type { Address, Customer } from './apiTypes.js';

export function customerName(
  c: Pick<Customer, 'firstName' | 'lastName' | 'company'> & { name?: string | null; displayName?: string | null },
): string {
  const n = [c.firstName, c.lastName].filter(Boolean).join(' ').trim();
  return n || c.displayName || c.name || c.company || '(no name yet)';
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleDateString(undefined, { dateStyle: 'medium' });
}

export function formatAddress(a: Address | null | undefined): string {
  if (!a) return '';
  return [a.street, a.city, [a.region, a.postalCode].filter(Boolean).join(' '), a.country].filter(Boolean).join(', ');
}

/** A value from history or a record, shown as text. */
export function showValue(v: unknown): string {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  if (Array.isArray(v)) {
    return (
      v
        .map((x) =>
          typeof x === 'object' && x !== null && 'number' in x
            ? `${String((x as { type?: string }).type ?? '')} ${String((x as { number: string }).number)}`.trim()
            : showValue(x),
        )
        .join(', ') || '—'
    );
  }
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('street' in o || 'city' in o || 'postalCode' in o) return formatAddress(o as Address) || '—';
    return Object.entries(o)
      .filter(([, x]) => x !== null && x !== undefined && x !== '')
      .map(([k, x]) => `${k}: ${showValue(x)}`)
      .join(', ');
  }
  return String(v);
}

/** Built-in fields whose label is not just their name split into words. */
const FIELD_LABELS: Record<string, string> = {
  ownerId: 'Owner',
  customerId: 'Customer',
  caseId: 'Case',
  assigneeId: 'Assignee',
  agentId: 'Agent',
  dueAt: 'Due',
  remindAt: 'Reminder',
  openedAt: 'Opened',
  closedAt: 'Closed',
  completedAt: 'Completed',
  followOnTaskId: 'Follow-on task',
  vip: 'VIP',
  e164: 'Phone number',
  accountNumber: 'Account number',
  caseNumber: 'Case number',
};

/**
 * The label a person reads for a field a record's history names: a custom
 * field's own label (`customFields.contract_tier` → "Contract tier" as the
 * administrator named it), built-in fields in words ("ownerId" → "Owner",
 * "primaryAddress.postalCode" → "Primary address: postal code").
 */
export function fieldLabel(field: string, defs: readonly { key: string; label: string }[] = []): string {
  const cf = /^customFields\.(.+)$/.exec(field);
  if (cf) {
    const def = defs.find((d) => d.key === cf[1]);
    return def ? def.label : humanize(cf[1]);
  }
  const parts = field.split('.');
  return parts
    .map((p, i) => {
      const label = FIELD_LABELS[p] ?? humanize(p);
      return i === 0 ? label : label.toLowerCase();
    })
    .join(': ');
}

/** "firstName" → "First name", "primaryAddress.postalCode" → "Primary address postal code". */
export function humanize(field: string): string {
  const s = field
    .replace(/[._]/g, ' ')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** A relative due label: "in 5 min", "3 h ago". */
export function relative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '';
  const ms = new Date(iso).getTime() - now;
  const abs = Math.abs(ms);
  const unit = abs < 3600_000 ? [60_000, 'min'] : abs < 86_400_000 ? [3600_000, 'h'] : [86_400_000, 'd'];
  const n = Math.round(abs / (unit[0] as number));
  if (n === 0) return 'now';
  return ms >= 0 ? `in ${n} ${unit[1]}` : `${n} ${unit[1]} ago`;
}

/** For <input type="datetime-local">: local "YYYY-MM-DDTHH:mm". */
export function toLocalInput(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function fromLocalInput(s: string): string | null {
  if (!s) return null;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
