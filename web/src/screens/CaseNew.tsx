import { FIELD_LIMITS } from '../fieldLimits.js';
import { useState, type FormEvent } from 'react';
import { api, ApiError, errorText, fieldErrors } from '../api.js';
import { Field, FormErrors, Select, TextArea } from '../components/Field.js';
import { useStoredState } from '../hooks.js';
import { cfCreateBody, cfDefaults, CustomFieldInputs, useFieldDefs, type CfValues } from '../customFields.js';
import { choices, useCaseRefs } from '../lookups.js';
import { useSession } from '../session.js';
import type { Case } from '../apiTypes.js';

interface CaseDraft {
  subject: string;
  description: string;
  priority: string;
  severity: string;
  /** '' until the user picks one: the form then shows the administrator's default. */
  visibility: '' | 'public' | 'private';
  ownerId: string;
  channel: string;
  customFields?: CfValues;
}

/** A new case for a customer (a form in a dialog; the draft survives a re-sign-in). */
export function CaseNewForm({
  customerId,
  onCreated,
  onCancel,
}: {
  customerId: string;
  onCreated: (c: Case) => void;
  onCancel: () => void;
}) {
  const { me, can } = useSession();
  const { settings, users } = useCaseRefs();
  // A private case needs cases.viewPrivate: offer only what this user may save.
  const mayPrivate = can('cases.viewPrivate');
  const allowed: ('public' | 'private')[] = mayPrivate ? ['private', 'public'] : ['public'];
  const [v, setV, clear] = useStoredState<CaseDraft>(`case:new:${customerId}`, {
    subject: '',
    description: '',
    priority: '',
    severity: '',
    visibility: '',
    ownerId: me.id,
    channel: 'phone',
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (p: Partial<CaseDraft>) => setV((o) => ({ ...o, ...p }));
  const defs = useFieldDefs('case');
  const cf = v.customFields ?? cfDefaults(defs);
  const wanted = v.visibility || settings?.defaultVisibility || 'public';
  const visibility = allowed.includes(wanted) ? wanted : allowed[0];

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      const body: Record<string, unknown> = {
        customerId,
        subject: v.subject.trim(),
        description: v.description,
        visibility,
        ownerId: v.ownerId || null,
        channel: v.channel,
      };
      if (v.priority) body.priority = v.priority;
      if (v.severity) body.severity = v.severity;
      const customFields = cfCreateBody(defs, cf);
      if (customFields) body.customFields = customFields;
      const c = await api.post<Case>('/api/v1/cases', body);
      clear();
      onCreated(c);
    } catch (err) {
      setErrors(fieldErrors(err));
      setMessage(err instanceof ApiError && err.errors.length ? 'Please correct the fields marked.' : errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate aria-label="New case">
      <Field
        label="Subject"
        value={v.subject}
        onChange={(e) => set({ subject: e.target.value })}
        error={errors.subject}
        required
        maxLength={FIELD_LIMITS.case.subject.maxLength}
      />
      <TextArea
        label="Description"
        rows={4}
        value={v.description}
        onChange={(e) => set({ description: e.target.value })}
        maxLength={FIELD_LIMITS.case.description.maxLength}
        error={errors.description}
      />
      <div className="row">
        <Select
          label="Priority"
          value={v.priority}
          onChange={(e) => set({ priority: e.target.value })}
          options={[{ value: '', label: 'Default' }, ...choices(settings?.priorities)]}
          error={errors.priority}
        />
        <Select
          label="Severity"
          value={v.severity}
          onChange={(e) => set({ severity: e.target.value })}
          options={[{ value: '', label: 'Default' }, ...choices(settings?.severities)]}
          error={errors.severity}
        />
      </div>
      <div className="row">
        {allowed.length > 1 && (
          <Select
            label="Visibility"
            value={visibility}
            onChange={(e) => set({ visibility: e.target.value as CaseDraft['visibility'] })}
            options={[
              { value: 'private', label: 'Private (internal)' },
              { value: 'public', label: 'Public (Support Center)' },
            ]}
            error={errors.visibility}
          />
        )}
        <Select
          label="Owner"
          value={v.ownerId}
          onChange={(e) => set({ ownerId: e.target.value })}
          options={[{ value: '', label: 'Unassigned' }, ...(users ?? []).map((u) => ({ value: u.id, label: u.name }))]}
          error={errors.ownerId}
        />
        <Select
          label="Channel"
          value={v.channel}
          onChange={(e) => set({ channel: e.target.value })}
          options={['phone', 'chat', 'email', 'web', 'other'].map((c) => ({ value: c, label: c }))}
          error={errors.channel}
        />
      </div>
      <CustomFieldInputs defs={defs} value={cf} onChange={(x) => set({ customFields: x })} errors={errors} />
      <FormErrors message={message} />
      <div className="actions">
        {/* Until the case settings arrive the visibility shown is not yet the administrator's default. */}
        <button type="submit" className="primary" disabled={busy || !settings}>
          Create case
        </button>
        <button
          type="button"
          onClick={() => {
            clear();
            onCancel();
          }}
        >
          Cancel
        </button>
      </div>
    </form>
  );
}
