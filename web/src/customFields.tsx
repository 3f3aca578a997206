import { useEffect, useId, useState } from 'react';
import { api } from './api.js';
import type { FieldDef, ObjectType } from './apiTypes.js';
import { formatDate, formatDateTime, fromLocalInput, toLocalInput } from './format.js';

/** Administrator-defined fields (`/api/v1/custom-fields`): loading, form inputs, display. */
export type { FieldDef, ObjectType };

const cache = new Map<ObjectType, Promise<FieldDef[]>>();

export function loadFieldDefs(objectType: ObjectType): Promise<FieldDef[]> {
  let p = cache.get(objectType);
  if (!p) {
    p = api
      .get<{ items: FieldDef[] }>('/api/v1/custom-fields', { objectType })
      .then((r) => r.items.sort((a, b) => a.order - b.order))
      .catch((e) => {
        cache.delete(objectType);
        throw e;
      });
    cache.set(objectType, p);
  }
  return p;
}

export function forgetFieldDefs(): void {
  cache.clear();
}

/** The definitions of one object type (all, retired included: records may hold their values). */
export function useFieldDefs(objectType: ObjectType): FieldDef[] {
  const [defs, setDefs] = useState<FieldDef[]>([]);
  useEffect(() => {
    let alive = true;
    loadFieldDefs(objectType).then(
      (d) => alive && setDefs(d),
      () => {},
    );
    return () => {
      alive = false;
    };
  }, [objectType]);
  return defs;
}

/** Form state: the API's own values per key (null: empty); inputs convert as the user types. */
export type CfValues = Record<string, unknown>;

const isEmpty = (v: unknown) => v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);

/** A new record's starting values: each active field's default. */
export function cfDefaults(defs: FieldDef[]): CfValues {
  const out: CfValues = {};
  for (const d of defs) if (!d.retired && !isEmpty(d.default)) out[d.key] = d.default;
  return out;
}

/** For a create: the active fields with a value (the server fills defaults for the rest). */
export function cfCreateBody(defs: FieldDef[], values: CfValues): CfValues | undefined {
  const out: CfValues = {};
  for (const d of defs) if (!d.retired && !isEmpty(values[d.key])) out[d.key] = values[d.key];
  return Object.keys(out).length ? out : undefined;
}

/** For a PATCH: the fields whose value changed from `base` (null clears). */
export function cfPatchBody(defs: FieldDef[], values: CfValues, base: CfValues): CfValues | undefined {
  const out: CfValues = {};
  for (const d of defs) {
    if (d.retired) continue;
    const now = isEmpty(values[d.key]) ? null : values[d.key];
    const before = isEmpty(base[d.key]) ? null : base[d.key];
    if (JSON.stringify(now) !== JSON.stringify(before)) out[d.key] = now;
  }
  return Object.keys(out).length ? out : undefined;
}

/** What an input shows for a stored value. */
function inputText(d: FieldDef, v: unknown): string {
  if (v === null || v === undefined) return '';
  if (d.type === 'dateTime' && typeof v === 'string') {
    const t = new Date(v);
    return Number.isNaN(t.getTime()) ? v : toLocalInput(t);
  }
  return String(v);
}

/** What the API gets for what the user typed. */
function fromInput(d: FieldDef, s: string): unknown {
  if (s.trim() === '') return null;
  if (d.type === 'number' || d.type === 'decimal') {
    const n = Number(s);
    return Number.isFinite(n) && String(n) === s.trim() ? n : s;
  }
  if (d.type === 'dateTime') return fromLocalInput(s) ?? s;
  return s;
}

/** A stored value as text. */
export function showCf(d: FieldDef, v: unknown): string {
  if (v === null || v === undefined || v === '') return '—';
  const label = (k: unknown) => d.options.find((o) => o.key === k)?.label ?? String(k);
  switch (d.type) {
    case 'boolean':
      return v ? 'yes' : 'no';
    case 'singlePick':
      return label(v);
    case 'multiPick':
      return Array.isArray(v) ? v.map(label).join(', ') || '—' : String(v);
    case 'date':
      return formatDate(String(v));
    case 'dateTime':
      return formatDateTime(String(v));
    default:
      return String(v);
  }
}

export function CfInput({
  d,
  value,
  onChange,
  error,
}: {
  d: FieldDef;
  value: unknown;
  onChange: (v: unknown) => void;
  error?: string;
}) {
  const id = useId();
  const described = [d.helpText ? `${id}-help` : '', error ? `${id}-err` : ''].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': described,
    'aria-required': d.required || undefined,
  };
  const options = d.options.filter(
    (o) => !o.retired || o.key === value || (Array.isArray(value) && value.includes(o.key)),
  );
  let input;
  if (d.type === 'boolean') {
    return (
      <div className={error ? 'field has-error' : 'field'}>
        <label className="check" htmlFor={id}>
          <input type="checkbox" {...common} checked={value === true} onChange={(e) => onChange(e.target.checked)} />{' '}
          {d.label}
        </label>
        {d.helpText && (
          <div className="hint" id={`${id}-help`}>
            {d.helpText}
          </div>
        )}
        {error && (
          <div className="error" id={`${id}-err`} role="alert">
            {error}
          </div>
        )}
      </div>
    );
  }
  const s = inputText(d, value);
  if (d.type === 'longText')
    input = <textarea {...common} rows={3} value={s} onChange={(e) => onChange(fromInput(d, e.target.value))} />;
  else if (d.type === 'singlePick')
    input = (
      <select {...common} value={s} onChange={(e) => onChange(fromInput(d, e.target.value))}>
        <option value="">—</option>
        {options.map((o) => (
          <option key={o.key} value={o.key}>
            {o.label}
          </option>
        ))}
      </select>
    );
  else if (d.type === 'multiPick') {
    const list = Array.isArray(value) ? value.map(String) : [];
    return (
      <fieldset className={error ? 'field has-error' : 'field'} aria-describedby={described}>
        <legend>{d.label}</legend>
        {options.map((o) => (
          <label key={o.key} className="check">
            <input
              type="checkbox"
              checked={list.includes(o.key)}
              onChange={(e) => onChange(e.target.checked ? [...list, o.key] : list.filter((k) => k !== o.key))}
            />{' '}
            {o.label}
          </label>
        ))}
        {d.helpText && (
          <div className="hint" id={`${id}-help`}>
            {d.helpText}
          </div>
        )}
        {error && (
          <div className="error" id={`${id}-err`} role="alert">
            {error}
          </div>
        )}
      </fieldset>
    );
  } else {
    const type =
      d.type === 'date'
        ? 'date'
        : d.type === 'dateTime'
          ? 'datetime-local'
          : d.type === 'email'
            ? 'email'
            : d.type === 'url'
              ? 'url'
              : d.type === 'phone'
                ? 'tel'
                : 'text';
    input = (
      <input
        {...common}
        type={type}
        inputMode={d.type === 'number' ? 'numeric' : d.type === 'decimal' ? 'decimal' : undefined}
        value={s}
        onChange={(e) => onChange(fromInput(d, e.target.value))}
      />
    );
  }
  return (
    <div className={error ? 'field has-error' : 'field'}>
      <label htmlFor={id}>{d.label}</label>
      {input}
      {d.helpText && (
        <div className="hint" id={`${id}-help`}>
          {d.helpText}
        </div>
      )}
      {error && (
        <div className="error" id={`${id}-err`} role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

/** The active custom fields of a form; errors come as `customFields.<key>`. */
export function CustomFieldInputs({
  defs,
  value,
  onChange,
  errors,
}: {
  defs: FieldDef[];
  value: CfValues;
  onChange: (v: CfValues) => void;
  errors: Record<string, string>;
}) {
  const active = defs.filter((d) => !d.retired);
  if (active.length === 0) return null;
  return (
    <fieldset className="custom-fields">
      <legend>More details</legend>
      {active.map((d) => (
        <CfInput
          key={d.key}
          d={d}
          value={value[d.key]}
          onChange={(v) => onChange({ ...value, [d.key]: v })}
          error={errors[`customFields.${d.key}`]}
        />
      ))}
    </fieldset>
  );
}

/** Custom field values as definition-list rows (retired fields with a value too). */
export function customFieldRows(defs: FieldDef[], values: Record<string, unknown> | undefined): [string, string][] {
  return defs
    .filter((d) => !d.retired || (values?.[d.key] ?? null) !== null)
    .map((d) => [d.label, showCf(d, values?.[d.key])]);
}
