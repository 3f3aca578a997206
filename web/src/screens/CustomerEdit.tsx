import { useState, type FormEvent } from 'react';
import { api, ApiError, errorText, fieldErrors } from '../api.js';
import { FormErrors } from '../components/Field.js';
import { Dialog } from '../components/Dialog.js';
import { useToast } from '../components/Toasts.js';
import { useStoredState } from '../hooks.js';
import { showValue } from '../format.js';
import type { Customer } from '../apiTypes.js';
import { CustomerForm, unclaimedErrors } from './CustomerForm.js';
import { useFieldDefs } from '../customFields.js';
import {
  customMergeFields,
  formOf,
  MERGE_FIELDS,
  patchBodyOf,
  same,
  type CustomerFormValue,
  type MergeField,
} from './customerModel.js';
import { EmailOwner } from './EmailOwner.js';

interface EditState {
  /** The record as read when editing began (or after a merge): what "yours" is compared with. */
  base: CustomerFormValue;
  version: number;
  value: CustomerFormValue;
}

interface Conflict {
  theirs: Customer;
  rows: {
    key: string;
    label: string;
    yours: unknown;
    theirs: unknown;
    choice: 'yours' | 'theirs';
    show?: (x: unknown) => string;
  }[];
}

/** Edit a customer. If someone else saved first (409 stale), show theirs vs yours per field and save the merge. */
export function CustomerEdit({
  customer,
  onSaved,
  onCancel,
}: {
  customer: Customer;
  onSaved: (c: Customer) => void;
  onCancel: () => void;
}) {
  const toast = useToast();
  const [edit, setEdit, clearEdit] = useStoredState<EditState>(`customer:edit:${customer.id}`, () => ({
    base: formOf(customer),
    version: customer.version,
    value: formOf(customer),
  }));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [pendingDraft, setPendingDraft] = useState<boolean | undefined>(undefined);
  const defs = useFieldDefs('customer');
  const mergeFields: MergeField[] = [...MERGE_FIELDS, ...customMergeFields(defs)];

  const save = async (state: EditState, draft: boolean | undefined) => {
    setBusy(true);
    setMessage(null);
    try {
      const body = patchBodyOf(state.value, state.base, defs);
      if (draft !== undefined && draft !== customer.draft) body.draft = draft;
      const saved =
        Object.keys(body).length === 0
          ? customer
          : await api.patch<Customer>(`/api/v1/customers/${customer.id}`, body, state.version);
      clearEdit();
      setErrors({});
      onSaved(saved);
      toast({ text: 'Customer saved', kind: 'success' });
    } catch (e) {
      if (e instanceof ApiError && e.isStale) {
        const theirs = e.current as Customer;
        const theirsForm = formOf(theirs);
        const rows = mergeFields
          .filter((f) => !same(f.get(state.value), f.get(theirsForm)))
          .map((f) => ({
            key: f.key,
            label: f.label,
            show: f.show,
            yours: f.get(state.value),
            theirs: f.get(theirsForm),
            // What you did not touch takes their value; what you changed keeps yours.
            choice: same(f.get(state.value), f.get(state.base)) ? ('theirs' as const) : ('yours' as const),
          }));
        if (rows.length === 0) {
          // They changed nothing you see differently: save yours on their version.
          const next = { base: theirsForm, version: theirs.version, value: state.value };
          setEdit(next);
          setBusy(false);
          return save(next, draft);
        }
        setConflict({ theirs, rows });
      } else {
        setErrors(fieldErrors(e));
        setMessage(
          e instanceof ApiError && e.errors.length > 0 ? 'Please correct the fields marked below.' : errorText(e),
        );
      }
    } finally {
      setBusy(false);
    }
  };

  const resolve = () => {
    if (!conflict) return;
    const theirsForm = formOf(conflict.theirs);
    let merged = theirsForm;
    for (const row of conflict.rows) {
      const f = mergeFields.find((m) => m.key === row.key)!;
      merged = f.set(merged, row.choice === 'yours' ? row.yours : row.theirs);
    }
    const next: EditState = { base: theirsForm, version: conflict.theirs.version, value: merged };
    setEdit(next);
    setConflict(null);
    void save(next, pendingDraft);
  };

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const submitter = (e.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null;
    const draft = submitter?.value === 'draft' ? true : customer.draft ? false : undefined;
    setPendingDraft(draft);
    void save(edit, draft);
  };

  return (
    <>
      <form onSubmit={onSubmit} noValidate aria-label="Edit customer">
        <CustomerForm
          defs={defs}
          value={edit.value}
          onChange={(v) => setEdit((s) => ({ ...s, value: v }))}
          errors={errors}
          emailNote={<EmailOwner email={edit.value.email} exceptId={customer.id} />}
        />
        <FormErrors message={message} extra={unclaimedErrors(errors)} />
        <div className="actions">
          <button type="submit" className="primary" value="save" disabled={busy}>
            {customer.draft ? 'Save and complete' : 'Save'}
          </button>
          {customer.draft && (
            <button type="submit" value="draft" disabled={busy}>
              Save as draft
            </button>
          )}
          <button
            type="button"
            onClick={() => {
              clearEdit();
              onCancel();
            }}
          >
            Cancel
          </button>
        </div>
      </form>
      <Dialog
        open={conflict !== null}
        title="Someone else saved this customer first"
        onClose={() => setConflict(null)}
        wide
      >
        {conflict && (
          <div className="conflict">
            <p>Choose, for each field, which value to keep. Then save: your choice is saved on top of their version.</p>
            <table className="merge">
              <thead>
                <tr>
                  <th scope="col">Field</th>
                  <th scope="col">Theirs (saved)</th>
                  <th scope="col">Yours</th>
                </tr>
              </thead>
              <tbody>
                {conflict.rows.map((row, i) => (
                  <tr key={row.key} data-field={row.key}>
                    <th scope="row">{row.label}</th>
                    {(['theirs', 'yours'] as const).map((side) => (
                      <td key={side}>
                        <label>
                          <input
                            type="radio"
                            name={`merge-${row.key}`}
                            value={side}
                            checked={row.choice === side}
                            onChange={() =>
                              setConflict((c) =>
                                c ? { ...c, rows: c.rows.map((r, j) => (j === i ? { ...r, choice: side } : r)) } : c,
                              )
                            }
                          />{' '}
                          <span className="sr-only">
                            Keep {side} for {row.label}:{' '}
                          </span>
                          {(row.show ?? showValue)(side === 'yours' ? row.yours : row.theirs)}
                        </label>
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
            <div className="actions">
              <button type="button" className="primary" onClick={resolve}>
                Save merged
              </button>
              <button type="button" onClick={() => setConflict(null)}>
                Back to editing
              </button>
            </div>
          </div>
        )}
      </Dialog>
    </>
  );
}
