import { useId, useState } from 'react';
import { api, ApiError, errorText } from '../api.js';
import type { Case, CaseBulk, CaseBulkResult } from '../apiTypes.js';
import { useCaseRefs } from '../lookups.js';
import { TagInput } from './Tags.js';

/**
 * The Cases list's bulk bar, shown while rows are selected: one action on
 * every selected case (POST /api/v1/cases/bulk, all or nothing). `onDone`
 * gets the changed cases; an error names the case that failed by its number,
 * says why, and that nothing changed.
 */
export function CaseBulkBar({
  cases,
  onDone,
  onClear,
}: {
  /** The selected cases, in the list's order. */
  cases: readonly Case[];
  onDone: (changed: Case[], message: string) => void;
  onClear: () => void;
}) {
  const { settings, users } = useCaseRefs();
  const base = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [tag, setTag] = useState('');
  const ids = cases.map((c) => c.id);

  const run = async (action: CaseBulk['action'], what: string) => {
    setBusy(true);
    setError(null);
    try {
      const r = await api.post<CaseBulkResult>('/api/v1/cases/bulk', { ids, action } satisfies CaseBulk);
      onDone(
        r.items.map((i) => i.case),
        `${what}: ${r.changed} of ${ids.length} case${ids.length === 1 ? '' : 's'} changed`,
      );
      setTag('');
    } catch (e) {
      setError(failureText(e, cases));
    } finally {
      setBusy(false);
    }
  };

  const addTag = () => {
    if (tag.trim()) void run({ addTag: tag }, `Tag “${tag.trim().toLowerCase()}” added`);
  };

  const removeTag = () => {
    if (tag.trim()) void run({ removeTag: tag }, `Tag “${tag.trim().toLowerCase()}” removed`);
  };

  return (
    <div className="bulk-bar" role="region" aria-label="Bulk actions">
      <span className="bulk-count" aria-live="polite">
        {ids.length} selected
      </span>
      <label htmlFor={`${base}-assign`}>Assign to…</label>
      <select
        id={`${base}-assign`}
        value=""
        disabled={busy}
        onChange={(e) => {
          const v = e.target.value;
          if (!v) return;
          const ownerId = v === 'none' ? null : v;
          const who = ownerId ? (users?.find((u) => u.id === ownerId)?.name ?? 'user') : 'nobody';
          void run({ assign: ownerId }, `Assigned to ${who}`);
        }}
      >
        <option value="">Choose…</option>
        <option value="none">Unassigned</option>
        {(users ?? []).map((u) => (
          <option key={u.id} value={u.id}>
            {u.name}
          </option>
        ))}
      </select>
      <RankChoice
        id={`${base}-status`}
        label="Status"
        ranks={settings?.statuses}
        disabled={busy}
        onPick={(status) => void run({ status }, 'Status set')}
      />
      <RankChoice
        id={`${base}-priority`}
        label="Priority"
        ranks={settings?.priorities}
        disabled={busy}
        onPick={(priority) => void run({ priority }, 'Priority set')}
      />
      <label htmlFor={`${base}-tag`}>Tag</label>
      <TagInput id={`${base}-tag`} source="/api/v1/cases/tags" value={tag} onChange={setTag} onEnter={addTag} />
      <button type="button" disabled={busy || !tag.trim()} onClick={addTag}>
        Add tag
      </button>
      <button type="button" disabled={busy || !tag.trim()} onClick={removeTag}>
        Remove tag
      </button>
      <button type="button" className="link" disabled={busy} onClick={onClear}>
        Clear selection
      </button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** A status or priority to set on every selected case: the ones in use, picked from a select. */
function RankChoice({
  id,
  label,
  ranks,
  disabled,
  onPick,
}: {
  id: string;
  label: string;
  ranks: readonly { key: string; label: string; retired?: boolean }[] | undefined;
  disabled: boolean;
  onPick: (key: string) => void;
}) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <select id={id} value="" disabled={disabled} onChange={(e) => e.target.value && onPick(e.target.value)}>
        <option value="">Choose…</option>
        {(ranks ?? [])
          .filter((r) => !r.retired)
          .map((r) => (
            <option key={r.key} value={r.key}>
              {r.label}
            </option>
          ))}
      </select>
    </>
  );
}

/**
 * A failed bulk action in words: the server names the failed case by its id (`failedId`),
 * which means nothing to people; the list knows its number.
 */
function failureText(e: unknown, cases: readonly Case[]): string {
  if (!(e instanceof ApiError)) return errorText(e);
  const { failedId, reason } = e.body;
  const failed = typeof failedId === 'string' ? cases.find((c) => c.id === failedId) : undefined;
  if (!failed || typeof reason !== 'string') return errorText(e);
  return `Case ${failed.caseNumber} could not be changed: ${reason} None of the selected cases was changed.`;
}
