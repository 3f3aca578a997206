import { useState, type FormEvent } from 'react';
import { api, ApiError, errorText, fieldErrors } from '../api.js';
import { Field, FormErrors, Select, TextArea } from '../components/Field.js';
import { CfInput, type FieldDef, type ObjectType } from '../customFields.js';

export const FIELD_TYPES: { value: FieldDef['type']; label: string }[] = [
  { value: 'text', label: 'Text (one line)' },
  { value: 'longText', label: 'Long text' },
  { value: 'number', label: 'Whole number' },
  { value: 'decimal', label: 'Decimal number' },
  { value: 'date', label: 'Date' },
  { value: 'dateTime', label: 'Date and time' },
  { value: 'boolean', label: 'Yes / no' },
  { value: 'singlePick', label: 'Pick list (one)' },
  { value: 'multiPick', label: 'Pick list (several)' },
  { value: 'phone', label: 'Phone number' },
  { value: 'email', label: 'Email address' },
  { value: 'url', label: 'Web address' },
];

type Draft = Omit<FieldDef, 'id' | 'version' | 'retired' | 'order' | 'createdAt' | 'updatedAt'> & { order: string };

/** Create or change one custom field definition. Key and type are fixed once saved. */
export function CustomFieldForm({
  objectType,
  field,
  onSaved,
  onCancel,
}: {
  objectType: ObjectType;
  field: FieldDef | null;
  onSaved: () => void;
  onCancel: () => void;
}) {
  const [v, setV] = useState<Draft>(() => ({
    objectType,
    key: field?.key ?? '',
    label: field?.label ?? '',
    helpText: field?.helpText ?? '',
    type: field?.type ?? 'text',
    options: field?.options ?? [],
    required: field?.required ?? false,
    default: field?.default ?? null,
    unique: field?.unique ?? false,
    filterable: field?.filterable ?? false,
    searchable: field?.searchable ?? false,
    order: field ? String(field.order) : '',
  }));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const set = (p: Partial<Draft>) => setV((o) => ({ ...o, ...p }));
  const pick = v.type === 'singlePick' || v.type === 'multiPick';

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body: Record<string, unknown> = {
      label: v.label,
      helpText: v.helpText,
      required: v.required,
      default: v.default === '' ? null : v.default,
      filterable: v.filterable,
      searchable: v.searchable,
    };
    if (objectType === 'customer') body.unique = v.unique;
    if (pick) body.options = v.options.map((o) => ({ key: o.key, label: o.label, retired: o.retired }));
    if (v.order.trim()) body.order = Number(v.order);
    try {
      if (field) await api.patch(`/api/v1/custom-fields/${field.id}`, body, field.version);
      else await api.post('/api/v1/custom-fields', { ...body, objectType, key: v.key, type: v.type });
      onSaved();
    } catch (err) {
      setErrors(fieldErrors(err));
      setMessage(
        err instanceof ApiError && err.isStale
          ? 'Someone else changed this field; close and reopen it.'
          : errorText(err),
      );
    }
  };

  const setOption = (i: number, p: Partial<FieldDef['options'][number]>) =>
    set({ options: v.options.map((o, j) => (j === i ? { ...o, ...p } : o)) });
  const known = new Set(field?.options.map((o) => o.key) ?? []);

  return (
    <form onSubmit={submit} noValidate aria-label={field ? 'Edit custom field' : 'New custom field'}>
      <div className="row">
        <Field
          label="Label"
          maxLength={32}
          value={v.label}
          onChange={(e) => set({ label: e.target.value })}
          error={errors.label}
        />
        <Field
          label="Key"
          value={v.key}
          disabled={Boolean(field)}
          onChange={(e) => set({ key: e.target.value })}
          error={errors.key}
          hint="Letters, digits and _; fixed once saved."
        />
      </div>
      <div className="row">
        <Select
          label="Type"
          value={v.type}
          disabled={Boolean(field)}
          onChange={(e) => set({ type: e.target.value as FieldDef['type'], default: null })}
          options={FIELD_TYPES}
          error={errors.type}
        />
        <Field
          label="Display order"
          inputMode="numeric"
          value={v.order}
          onChange={(e) => set({ order: e.target.value })}
          error={errors.order}
        />
      </div>
      <TextArea
        label="Help text"
        rows={2}
        value={v.helpText}
        onChange={(e) => set({ helpText: e.target.value })}
        error={errors.helpText}
      />
      {pick && (
        <fieldset>
          <legend>Options</legend>
          {v.options.map((o, i) => (
            <div className="row" key={i}>
              <Field
                label={`Option ${i + 1} key`}
                value={o.key}
                disabled={known.has(o.key)}
                onChange={(e) => setOption(i, { key: e.target.value })}
                error={errors[`options.${i}.key`]}
              />
              <Field
                label={`Option ${i + 1} label`}
                value={o.label}
                onChange={(e) => setOption(i, { label: e.target.value })}
                error={errors[`options.${i}.label`]}
              />
              <label className="check">
                <input
                  type="checkbox"
                  checked={o.retired}
                  onChange={(e) => setOption(i, { retired: e.target.checked })}
                />{' '}
                Retired
              </label>
            </div>
          ))}
          {errors.options && <p className="error">{errors.options}</p>}
          <button
            type="button"
            onClick={() => set({ options: [...v.options, { key: '', label: '', retired: false }] })}
          >
            Add option
          </button>
        </fieldset>
      )}
      <CfInput
        d={{
          ...v,
          id: 'default',
          version: 0,
          retired: false,
          order: 0,
          label: 'Default value',
          helpText: '',
          createdAt: '',
          updatedAt: '',
        }}
        value={v.default}
        onChange={(x) => set({ default: x })}
        error={errors.default}
      />
      <fieldset>
        <legend>Rules</legend>
        <label className="check">
          <input type="checkbox" checked={v.required} onChange={(e) => set({ required: e.target.checked })} /> Required
        </label>
        {objectType === 'customer' && (
          <label className="check">
            <input type="checkbox" checked={v.unique} onChange={(e) => set({ unique: e.target.checked })} /> Unique
            across customers
          </label>
        )}
        <label className="check">
          <input type="checkbox" checked={v.filterable} onChange={(e) => set({ filterable: e.target.checked })} />{' '}
          Usable as a list filter
        </label>
        <label className="check">
          <input type="checkbox" checked={v.searchable} onChange={(e) => set({ searchable: e.target.checked })} /> Part
          of search
        </label>
      </fieldset>
      <FormErrors message={message} />
      <div className="actions">
        <button type="submit" className="primary">
          {field ? 'Save field' : 'Create field'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
