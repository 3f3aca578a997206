import { useId, useState, type FormEvent } from 'react';
import { api, ApiError, errorText, fieldErrors } from '../api.js';
import { Field } from '../components/Field.js';
import { useToast } from '../components/Toasts.js';
import { formatDateTime } from '../format.js';
import { useLoad } from '../hooks.js';

import type { PortalAccess as Access, PortalAccessSaved } from '../apiTypes.js';

/** "Restrict customer's access to Support Center": allow sign-in, set or generate a password, email it. */
export function PortalAccessPanel({
  customerId,
  hasEmail,
  canEdit,
}: {
  customerId: string;
  hasEmail: boolean;
  canEdit: boolean;
}) {
  const id = useId();
  const toast = useToast();
  const path = `/api/v1/customers/${customerId}/portal-access`;
  const { data, error, setData } = useLoad((signal) => api.get<Access>(path, undefined, signal), [path]);
  const [editing, setEditing] = useState(false);
  const [form, setForm] = useState({ enabled: true, password: 'keep', typed: '', send: true });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [generated, setGenerated] = useState<string | null>(null);
  const [unsent, setUnsent] = useState<string | null>(null);

  if (error)
    return error instanceof ApiError && error.status === 404 ? null : <p className="error">{errorText(error)}</p>;
  if (!data) return null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body: Record<string, unknown> = { enabled: form.enabled, sendCredentials: form.send && hasEmail };
    if (form.enabled && form.password === 'type') body.password = form.typed;
    if (form.enabled && form.password === 'generate') body.generatePassword = true;
    try {
      const saved = await api.put<PortalAccessSaved>(path, body, data.version || undefined);
      setData(saved);
      setGenerated(saved.generatedPassword ?? null);
      setEditing(false);
      setErrors({});
      const what = `Support Center access ${saved.enabled ? (data.enabled ? 'saved' : 'created') : 'turned off'}`;
      if (saved.credentialsSent && !saved.mailRelayConfigured) {
        // The email is only queued: nothing leaves without a relay. Say so, and give the link to hand over.
        const text = `${what}. No mail relay is configured, so no email was sent — give the customer the sign-in link yourself: ${window.location.origin}/portal`;
        setUnsent(text);
        toast({ text, kind: 'info' });
      } else {
        setUnsent(null);
        toast({
          text: `${what}${saved.credentialsSent ? '; the sign-in details are on their way by email' : ''}`,
          kind: 'success',
        });
      }
    } catch (err) {
      setErrors({ ...fieldErrors(err), form: errorText(err) });
    }
  };

  return (
    <section className="portal-access" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Support Center</h2>
      <p>
        {data.enabled ? 'This customer may sign in to the Support Center.' : 'No Support Center access.'}
        {data.lastSignInAt && ` Last sign-in ${formatDateTime(data.lastSignInAt)}.`}
      </p>
      {unsent && (
        <p className="note" role="note">
          {unsent}
        </p>
      )}
      {generated && (
        <p className="note" role="status">
          New password (shown once): <code className="secret">{generated}</code>
        </p>
      )}
      {canEdit && !editing && (
        <button
          type="button"
          onClick={() => {
            setForm({ enabled: true, password: data.hasPassword ? 'keep' : 'generate', typed: '', send: hasEmail });
            setEditing(true);
          }}
        >
          Change Support Center access
        </button>
      )}
      {editing && (
        <form onSubmit={submit} aria-label="Support Center access">
          <label className="check">
            <input
              type="checkbox"
              checked={form.enabled}
              onChange={(e) => setForm({ ...form, enabled: e.target.checked })}
            />{' '}
            Allow sign-in to the Support Center
          </label>
          {form.enabled && (
            <fieldset>
              <legend>Password</legend>
              {data.hasPassword && (
                <label className="check">
                  <input
                    type="radio"
                    name={`${id}-pw`}
                    checked={form.password === 'keep'}
                    onChange={() => setForm({ ...form, password: 'keep' })}
                  />{' '}
                  Keep the current password
                </label>
              )}
              <label className="check">
                <input
                  type="radio"
                  name={`${id}-pw`}
                  checked={form.password === 'generate'}
                  onChange={() => setForm({ ...form, password: 'generate' })}
                />{' '}
                Generate one
              </label>
              <label className="check">
                <input
                  type="radio"
                  name={`${id}-pw`}
                  checked={form.password === 'type'}
                  onChange={() => setForm({ ...form, password: 'type' })}
                />{' '}
                Type one
              </label>
              {form.password === 'type' && (
                <Field
                  label="Support Center password"
                  type="password"
                  autoComplete="new-password"
                  value={form.typed}
                  onChange={(e) => setForm({ ...form, typed: e.target.value })}
                  error={errors.password}
                />
              )}
            </fieldset>
          )}
          <label className="check">
            <input
              type="checkbox"
              checked={form.send}
              disabled={!hasEmail}
              onChange={(e) => setForm({ ...form, send: e.target.checked })}
            />{' '}
            Email the sign-in details to the customer{hasEmail ? '' : ' (no email address on file)'}
          </label>
          {errors.form && (
            <p className="error" role="alert">
              {errors.form}
            </p>
          )}
          <div className="actions">
            <button type="submit" className="primary">
              Save access
            </button>
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
