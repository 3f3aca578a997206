import { useEffect, useState, type ReactNode } from 'react';
import { errorText } from './api.js';
import { showCf, type FieldDef } from './customFields.js';
import { loadPreferences, savePreference } from './prefs.js';

/**
 * A list's columns the user chooses and orders (the Customers and Cases lists): the
 * built-in ones, then the active custom fields as `cf.<key>`, kept per user in a preference.
 */
export interface Column<T> {
  key: string;
  label: string;
  render: (row: T) => ReactNode;
  /** The server's sort key, when the list can be sorted by this column. */
  sort?: string;
}

/** A custom field as a column: key `cf.<field key>`, labelled and shown as the field is. */
function customFieldColumn<T extends { customFields?: Record<string, unknown> }>(d: FieldDef): Column<T> {
  return { key: `cf.${d.key}`, label: d.label, render: (r) => showCf(d, r.customFields?.[d.key]) };
}

/** The columns one may choose: the built-in ones, then the active custom fields. */
export function withCustomFields<T extends { customFields?: Record<string, unknown> }>(
  builtIn: readonly Column<T>[],
  defs: readonly FieldDef[],
): Column<T>[] {
  return [...builtIn, ...defs.filter((d) => !d.retired).map((d) => customFieldColumn<T>(d))];
}

/**
 * Keeps known keys only, without repeats, and the `required` column (the record's link);
 * falls back to `defaults`. Custom field columns are kept: their definitions load later,
 * and a retired one is simply not shown.
 */
export function cleanColumnKeys(
  keys: unknown,
  builtIn: readonly { key: string }[],
  defaults: string[],
  required: string,
): string[] {
  if (!Array.isArray(keys)) return defaults;
  const out: string[] = [];
  for (const k of keys)
    if (typeof k === 'string' && (builtIn.some((c) => c.key === k) || /^cf\./.test(k)) && !out.includes(k)) out.push(k);
  if (!out.includes(required)) out.splice(Math.min(1, out.length), 0, required);
  return out;
}

export function moveColumn(cols: string[], key: string, delta: number): string[] {
  const i = cols.indexOf(key);
  const j = i + delta;
  if (i < 0 || j < 0 || j >= cols.length) return cols;
  const next = [...cols];
  [next[i], next[j]] = [next[j], next[i]];
  return next;
}

/** Moves `key` to where `target` is (drag and drop). */
export function dropColumn(cols: string[], key: string, target: string): string[] {
  if (key === target) return cols;
  const without = cols.filter((c) => c !== key);
  const at = without.indexOf(target);
  if (at < 0) return cols;
  const from = cols.indexOf(key);
  const to = cols.indexOf(target);
  without.splice(from < to ? at + 1 : at, 0, key);
  return without;
}

/** The chosen column keys kept in the preference `prefKey`: [columns, change, error saving]. */
export function useColumnPreference(
  prefKey: string,
  defaults: string[],
  clean: (keys: unknown) => string[],
): [string[], (c: string[]) => void, string | null] {
  const [cols, setCols] = useState<string[]>(defaults);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    loadPreferences().then(
      (p) => setCols(clean(p[prefKey])),
      () => setCols(defaults),
    );
    // Read once: the preference is this screen's own while it is open.
  }, []);
  const change = (next: string[]) => {
    setCols(next);
    savePreference(prefKey, next).then(
      () => setError(null),
      (e) => setError(`Your column layout was not saved: ${errorText(e)}`),
    );
  };
  return [cols, change, error];
}
