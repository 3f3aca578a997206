import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, errorText, fieldErrors } from '../api.js';
import { FormErrors } from '../components/Field.js';
import { useToast } from '../components/Toasts.js';
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

/** A token naming one New customer form (kept in its address, so a reload or "back" finds its draft). */
function newFormToken(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

interface StoredDraft {
  savedAt: string;
  value: CustomerFormValue;
}

const DRAFT_PREFIX = 'sb:customer-draft:';

function readDraft(key: string): StoredDraft | null {
  try {
    const raw = window.sessionStorage.getItem(DRAFT_PREFIX + key);
    const d = raw ? (JSON.parse(raw) as StoredDraft) : null;
    return d && typeof d.savedAt === 'string' && d.value ? d : null;
  } catch {
    return null;
  }
}

function writeDraft(key: string, value: CustomerFormValue | null): void {
  try {
    if (value === null) window.sessionStorage.removeItem(DRAFT_PREFIX + key);
    else
      window.sessionStorage.setItem(DRAFT_PREFIX + key, JSON.stringify({ savedAt: new Date().toISOString(), value }));
  } catch {
    // storage unavailable: the draft lives in this form only
  }
}

/**
 * New customer. What the agent types is kept as a draft tied to what it was
 * typed for: the interaction (from a screen pop) or, without one, this form
 * (a token in its address). Another caller's form never starts with it; the
 * same form offers it back ("Restore what you typed at 10:42?").
 */
export function NewCustomerScreen() {
  const { query } = useLocation();
  const interactionId = query.get('interaction');
  const formToken = query.get('form');
  useEffect(() => {
    // Drafts of older consoles were one per tab, shared by every form: never offer those.
    try {
      window.sessionStorage.removeItem('sb:customer:new');
    } catch {
      // storage unavailable
    }
  }, []);
  useEffect(() => {
    if (interactionId || formToken) return;
    const q = new URLSearchParams(query);
    q.set('form', newFormToken());
    navigate(`/customers/new?${q.toString()}`, { replace: true });
  }, [interactionId, formToken, query]);
  const draftKey = interactionId ? `interaction:${interactionId}` : formToken ? `form:${formToken}` : null;
  if (!draftKey) return null;
  return <NewCustomerForm key={draftKey} draftKey={draftKey} interactionId={interactionId} query={query} />;
}

function NewCustomerForm({
  draftKey,
  interactionId,
  query,
}: {
  draftKey: string;
  interactionId: string | null;
  query: URLSearchParams;
}) {
  const { can } = useSession();
  const toast = useToast();
  const [offer, setOffer] = useState<StoredDraft | null>(() => readDraft(draftKey));
  const [value, setValueState] = useState<CustomerFormValue>(() => emptyCustomer(prefillOf(query)));
  const [typed, setTyped] = useState(false);
  const clearDraft = () => writeDraft(draftKey, null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const defs = useFieldDefs('customer');
  // Custom fields start at their defaults (unless the form was restored with values).
  useEffect(() => {
    if (defs.length === 0) return;
    setValueState((v) => ({ ...v, customFields: { ...cfDefaults(defs), ...(v.customFields ?? {}) } }));
  }, [defs]);
  // What the agent typed is kept for this interaction or form only.
  useEffect(() => {
    if (typed) writeDraft(draftKey, value);
  }, [typed, draftKey, value]);

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
      {offer && (
        <div className="note draft-offer" role="group" aria-label="Unsaved input">
          <p>
            Restore what you typed at{' '}
            <time dateTime={offer.savedAt}>
              {new Date(offer.savedAt).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}
            </time>
            ?
          </p>
          <div className="actions compact">
            <button
              type="button"
              onClick={() => {
                setValueState({
                  ...offer.value,
                  customFields: { ...cfDefaults(defs), ...(offer.value.customFields ?? {}) },
                });
                setTyped(true);
                setOffer(null);
              }}
            >
              Restore
            </button>
            <button
              type="button"
              onClick={() => {
                clearDraft();
                setOffer(null);
              }}
            >
              Discard
            </button>
          </div>
        </div>
      )}
      <DuplicateWarning value={value} />
      <form onSubmit={onSubmit} noValidate aria-label="New customer">
        <CustomerForm
          defs={defs}
          value={value}
          onChange={(v) => {
            setTyped(true);
            setValueState(v);
          }}
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
