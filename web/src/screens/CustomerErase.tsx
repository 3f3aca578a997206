import { useEffect, useState, type FormEvent } from 'react';
import { api, errorText } from '../api.js';
import { Dialog } from '../components/Dialog.js';
import { Field, TextArea } from '../components/Field.js';
import { formatDateTime } from '../format.js';
import type { Customer, Erasure, ErasureRecord } from '../apiTypes.js';

/**
 * "Erase personal data" (a privacy request, docs/exporting.md): irreversible,
 * so the dialog says what goes and what stays, asks for the reason kept in the
 * erasure record, and erases only once the account number is typed exactly.
 */
export function EraseDialog({
  customer,
  open,
  onClose,
  onErased,
}: {
  customer: Customer;
  open: boolean;
  onClose: () => void;
  onErased: (r: Erasure) => void;
}) {
  const [reason, setReason] = useState('');
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!open) {
      setReason('');
      setTyped('');
      setError(null);
    }
  }, [open]);

  const confirmed = typed.trim() === customer.accountNumber && reason.trim() !== '';

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!confirmed) return;
    setBusy(true);
    setError(null);
    try {
      onErased(await api.post<Erasure>(`/api/v1/customers/${customer.id}/erase`, { reason: reason.trim() }));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={open} title="Erase this customer's personal data" onClose={onClose} role="alertdialog">
      <form onSubmit={(e) => void submit(e)} aria-label="Erase personal data">
        <p>
          This removes the personal data of customer <strong>{customer.accountNumber}</strong> everywhere Switchboard
          holds it: names, email, phones, addresses, notes and custom fields; the text of their cases, follow-ups,
          emails and attachments; their numbers on calls and chats; the values in the history of changes; their Support
          Center account.
        </p>
        <p>
          What stays is an anonymous record (&ldquo;Erased Customer&rdquo;) with the same account number, so case counts
          and reports stay right, and an erasure record of who erased it, when and why.{' '}
          <strong>This cannot be undone.</strong>
        </p>
        <TextArea
          label="Reason (kept in the erasure record: a request reference, not the person's data)"
          value={reason}
          maxLength={2000}
          required
          onChange={(e) => setReason(e.target.value)}
        />
        <Field
          label={`Type the account number ${customer.accountNumber} to confirm`}
          value={typed}
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => setTyped(e.target.value)}
        />
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="actions">
          <button type="submit" className="danger" disabled={!confirmed || busy}>
            {busy ? 'Erasing…' : 'Erase personal data'}
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** "Personal data erased on … by …": shown on an erased customer's record. */
export function ErasureNotice({ erasure }: { erasure: NonNullable<ErasureRecord['erasure']> }) {
  return (
    <p className="note" role="status">
      This customer&rsquo;s personal data was erased on {formatDateTime(erasure.erasedAt)} by {erasure.erasedBy}{' '}
      (reason: <bdi>{erasure.reason}</bdi>).
    </p>
  );
}
