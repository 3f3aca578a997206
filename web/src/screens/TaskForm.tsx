import { FIELD_LIMITS } from '../fieldLimits.js';
import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, errorText, fieldErrors } from '../api.js';
import { Field, FormErrors, Select, TextArea } from '../components/Field.js';
import { useStoredState } from '../hooks.js';
import { cfCreateBody, cfDefaults, CustomFieldInputs, useFieldDefs, type CfValues } from '../customFields.js';
import { loadDirectory } from '../lookups.js';
import { fromLocalInput, toLocalInput } from '../format.js';
import { useSession } from '../session.js';
import { TASK_TYPES, tasksApi } from '../tasksApi.js';
import type { DirectoryUser, Task } from '../apiTypes.js';

interface TaskDraft {
  type: string;
  subject: string;
  notes: string;
  assigneeId: string;
  due: string;
  /** '' default (30 min before), 'none', a number of minutes before, or 'at' (remindAt below). */
  reminder: string;
  remindAt: string;
  customFields?: CfValues;
}

const REMINDERS = [
  { value: '', label: '30 minutes before (default)' },
  { value: 'none', label: 'No reminder' },
  { value: '0', label: 'At the due time' },
  { value: '5', label: '5 minutes before' },
  { value: '15', label: '15 minutes before' },
  { value: '60', label: '1 hour before' },
  { value: 'at', label: 'At a time I choose' },
];

/** Create a task (or a scheduled call-back) for a customer, optionally about a case. */
export function TaskForm({
  customerId,
  caseId,
  preset,
  storeKey,
  onCreated,
  onCancel,
}: {
  customerId: string;
  caseId?: string | null;
  preset?: Partial<TaskDraft>;
  storeKey: string;
  onCreated: (t: Task) => void;
  onCancel: () => void;
}) {
  const { me } = useSession();
  const [users, setUsers] = useState<DirectoryUser[]>([]);
  useEffect(() => {
    loadDirectory().then(setUsers, () => {});
  }, []);
  const [v, setV, clear] = useStoredState<TaskDraft>(`task:new:${storeKey}`, () => ({
    type: 'call',
    subject: '',
    notes: '',
    assigneeId: me.id,
    due: toLocalInput(new Date(Date.now() + 3600_000)),
    reminder: '',
    remindAt: '',
    ...preset,
  }));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (p: Partial<TaskDraft>) => setV((o) => ({ ...o, ...p }));
  const defs = useFieldDefs('task');
  const cf = v.customFields ?? cfDefaults(defs);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const dueAt = fromLocalInput(v.due);
    const body: Record<string, unknown> = {
      type: v.type,
      subject: v.subject.trim(),
      customerId,
      assigneeId: v.assigneeId || 'me',
      dueAt,
    };
    if (v.notes.trim()) body.notes = v.notes;
    if (caseId) body.caseId = caseId;
    const customFields = cfCreateBody(defs, cf);
    if (customFields) body.customFields = customFields;
    if (v.reminder === 'none') body.remindAt = null;
    else if (v.reminder === 'at') body.remindAt = fromLocalInput(v.remindAt);
    else if (v.reminder !== '' && dueAt)
      body.remindAt = new Date(new Date(dueAt).getTime() - Number(v.reminder) * 60_000).toISOString();
    setBusy(true);
    try {
      const t = await tasksApi.create(body);
      clear();
      onCreated(t);
    } catch (err) {
      setErrors(fieldErrors(err));
      setMessage(err instanceof ApiError && err.errors.length ? 'Please correct the fields marked.' : errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate aria-label="New task">
      <div className="row">
        <Select
          label="Type"
          value={v.type}
          onChange={(e) => set({ type: e.target.value })}
          options={TASK_TYPES}
          error={errors.type}
        />
        <Field
          label="Subject"
          value={v.subject}
          onChange={(e) => set({ subject: e.target.value })}
          error={errors.subject}
          required
          maxLength={FIELD_LIMITS.task.subject.maxLength}
        />
      </div>
      <div className="row">
        <Field
          label="Due"
          type="datetime-local"
          value={v.due}
          onChange={(e) => set({ due: e.target.value })}
          error={errors.dueAt}
        />
        <Select
          label="Reminder"
          value={v.reminder}
          onChange={(e) => set({ reminder: e.target.value })}
          options={REMINDERS}
          error={v.reminder === 'at' ? undefined : errors.remindAt}
        />
        {v.reminder === 'at' && (
          <Field
            label="Remind at"
            type="datetime-local"
            value={v.remindAt}
            onChange={(e) => set({ remindAt: e.target.value })}
            error={errors.remindAt}
          />
        )}
      </div>
      <Select
        label="Assignee"
        value={v.assigneeId}
        onChange={(e) => set({ assigneeId: e.target.value })}
        options={
          users.length
            ? users.map((u) => ({ value: u.id, label: u.id === me.id ? `${u.name} (me)` : u.name }))
            : [{ value: me.id, label: 'Me' }]
        }
        error={errors.assigneeId}
      />
      <TextArea
        label="Notes"
        rows={3}
        value={v.notes}
        onChange={(e) => set({ notes: e.target.value })}
        maxLength={FIELD_LIMITS.task.notes.maxLength}
        error={errors.notes}
      />
      <CustomFieldInputs defs={defs} value={cf} onChange={(x) => set({ customFields: x })} errors={errors} />
      <FormErrors message={message} />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          Create task
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
