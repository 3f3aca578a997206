import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, errorText, fieldErrors } from '../api.js';
import { FormErrors } from '../components/Field.js';
import { useToast } from '../components/Toasts.js';
import { hasStored, useStoredState } from '../hooks.js';
import { cfDefaults, useFieldDefs } from '../customFields.js';
import { navigate, useLocation } from '../router.js';
import { useSession } from '../session.js';
import { createCustomerFor } from './interactionsApi.js';
import type { Customer } from '../apiTypes.js';
import { CustomerForm, unclaimedErrors } from './CustomerForm.js';
import { createBodyOf, emptyCustomer, type CustomerFormValue } from './customerModel.js';
import { EmailOwner } from './EmailOwner.js';
import { DuplicateWarning } from './CustomerDuplicates.js';

/** Prefill from the address (?phone=&email=&firstName=… as a screen pop passes them). */
function prefillOf(query: URLSearchParams): Partial<CustomerFormValue> {
  const p: Partial<CustomerFormValue> = {};
  const phone = query.get('phone');
  if (phone) p.phones = [{ type: query.get('phoneType') ?? 'mobile', number: phone }];
  for (const k of ['firstName', 'lastName', 'company', 'email'] as const) {
    const v = query.get(k);
    if (v) p[k] = v;
  }
  const postal = query.get('postalCode');
  if (postal) p.primaryAddress = { street: '', city: '', region: '', country: '', postalCode: postal };
  return p;
}

export function NewCustomerScreen() {
  const { can } = useSession();
  const { query } = useLocation();
  const interactionId = query.get('interaction');
  const toast = useToast();
  const storeKey = `customer:new${interactionId ? `:${interactionId}` : ''}`;
  const [restored, setRestored] = useState(() => hasStored(storeKey));
  const [value, setValue, clearDraft] = useStoredState<CustomerFormValue>(storeKey, () =>
    emptyCustomer(prefillOf(query)),
  );
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const defs = useFieldDefs('customer');
  // Custom fields start at their defaults (unless the form was restored with values).
  useEffect(() => {
    if (defs.length === 0) return;
    setValue((v) => ({ ...v, customFields: { ...cfDefaults(defs), ...(v.customFields ?? {}) } }));
  }, [defs, setValue]);

  if (!can('customers.create')) {
    return (
      <section>
        <h1 tabIndex={-1}>New customer</h1>
        <p>You do not have the privilege to create customers.</p>
      </section>
    );
  }

  const save = async (draft: boolean) => {
    setBusy(true);
    setMessage(null);
    try {
      const body = { ...createBodyOf(value, defs), draft };
      // From a screen pop: create and associate with the interaction in one request.
      const created = interactionId
        ? (await createCustomerFor(interactionId, body)).customer
        : await api.post<Customer>('/api/v1/customers', body);
      clearDraft();
      setErrors({});
      toast({
        text: draft ? `Draft ${created.accountNumber} saved` : `Customer ${created.accountNumber} created`,
        kind: 'success',
      });
      navigate(`/customers/${created.id}`, { replace: true });
    } catch (e) {
      setErrors(fieldErrors(e));
      setMessage(
        e instanceof ApiError && e.errors.length > 0 ? 'Please correct the fields marked below.' : errorText(e),
      );
    } finally {
      setBusy(false);
    }
  };

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const submitter = (e.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null;
    void save(submitter?.value === 'draft');
  };

  return (
    <section className="screen customer-new">
      <div className="screen-head">
        <h1 tabIndex={-1}>New customer</h1>
      </div>
      {interactionId && <p className="note">This customer will be linked to the current interaction when saved.</p>}
      {restored && (
        <p className="note" role="status">
          Restored what you typed earlier.{' '}
          <button
            type="button"
            className="link"
            onClick={() => {
              clearDraft();
              setValue({ ...emptyCustomer(prefillOf(query)), customFields: cfDefaults(defs) });
              clearDraft();
              setErrors({});
              setMessage(null);
              setRestored(false);
            }}
          >
            Clear the form
          </button>
        </p>
      )}
      <DuplicateWarning value={value} />
      <form onSubmit={onSubmit} noValidate aria-label="New customer">
        <CustomerForm
          defs={defs}
          value={value}
          onChange={(v) => setValue(v)}
          errors={errors}
          emailNote={<EmailOwner email={value.email} />}
        />
        <FormErrors message={message} extra={unclaimedErrors(errors)} />
        <div className="actions">
          <button type="submit" className="primary" value="save" disabled={busy}>
            Save
          </button>
          <button type="submit" value="draft" disabled={busy}>
            Save as draft
          </button>
          <button
            type="button"
            onClick={() => {
              clearDraft();
              window.history.back();
            }}
          >
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}
