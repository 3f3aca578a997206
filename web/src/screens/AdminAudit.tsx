import { useState, type FormEvent } from 'react';
import { api, ApiError, errorText, fieldErrors, withQuery, type Page } from '../api.js';
import { Field, Select } from '../components/Field.js';
import { useToast } from '../components/Toasts.js';
import { formatDateTime, fromLocalInput } from '../format.js';
import { useLoad } from '../hooks.js';
import type { DirectoryUser } from '../apiTypes.js';

interface AuditEvent {
  id: string;
  at: string;
  actorId: string | null;
  actorName: string;
  actorKind: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
}

/** Actions offered in the filter (any other is typed as is; `area.*` matches a whole area). */
const KNOWN_ACTIONS = [
  'auth.*',
  'auth.signin',
  'auth.signin_failed',
  'auth.signin_throttled',
  'auth.second_factor_failed',
  'auth.signout',
  'auth.password_changed',
  'auth.password_reset_requested',
  'auth.password_reset',
  'auth.two_factor_enabled',
  'auth.two_factor_disabled',
  'auth.two_factor_reset',
  'auth.recovery_codes_regenerated',
  'auth.session_revoked',
  'auth.sessions_revoked',
  'api_key.*',
  'api_key.created',
  'api_key.revoked',
  'user.*',
  'user.created',
  'user.updated',
  'user.privileges_changed',
  'role.changed',
  'custom_field.*',
  'settings.changed',
  'audit.exported',
  'audit.pruned',
];

interface Filters {
  action: string;
  actorId: string;
  from: string;
  to: string;
}

function queryOf(f: Filters): Record<string, string | undefined> {
  return {
    action: f.action.trim() || undefined,
    actorId: f.actorId || undefined,
    from: fromLocalInput(f.from) ?? undefined,
    to: fromLocalInput(f.to) ?? undefined,
  };
}

function detailsText(d: Record<string, unknown>): string {
  const entries = Object.entries(d).filter(([, v]) => v !== null && v !== undefined);
  return entries.map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('; ');
}

/** Admin → Audit: who did what, filtered by action, actor and dates; exported as CSV; kept as long as set. */
export function AdminAudit() {
  const empty: Filters = { action: '', actorId: '', from: '', to: '' };
  const [draft, setDraft] = useState<Filters>(empty);
  const [filters, setFilters] = useState<Filters>(empty);
  const [more, setMore] = useState<AuditEvent[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const { data, error } = useLoad(
    async (signal) => {
      const [page, users] = await Promise.all([
        api.get<Page<AuditEvent>>('/api/v1/audit', { ...queryOf(filters), limit: 50 }, signal),
        api.get<{ items: DirectoryUser[] }>('/api/v1/users/directory', undefined, signal),
      ]);
      setMore([]);
      setCursor(page.nextCursor);
      return { page, users: users.items };
    },
    [filters],
  );

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setErrors({});
    setFilters(draft);
  };
  const loadMore = async () => {
    if (!cursor) return;
    const page = await api.get<Page<AuditEvent>>('/api/v1/audit', { ...queryOf(filters), limit: 50, cursor });
    setMore((m) => [...m, ...page.items]);
    setCursor(page.nextCursor);
  };
  const shownError = error instanceof ApiError ? fieldErrors(error) : {};
  const rows = [...(data?.page.items ?? []), ...more];

  return (
    <div>
      <h2>Audit trail</h2>
      <p className="hint">
        Sign-ins, sign-outs, password and two-factor changes, API keys, users and privileges, custom fields and
        settings. Lines cannot be changed or deleted; they are kept as long as set below.
      </p>
      <form className="filters" onSubmit={apply} aria-label="Audit filters">
        <Field
          label="Action"
          list="audit-actions"
          placeholder="e.g. auth.* or api_key.created"
          value={draft.action}
          onChange={(e) => setDraft({ ...draft, action: e.target.value })}
          error={errors.action ?? shownError.action}
        />
        <datalist id="audit-actions">
          {KNOWN_ACTIONS.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <Select
          label="Who"
          value={draft.actorId}
          onChange={(e) => setDraft({ ...draft, actorId: e.target.value })}
          options={[
            { value: '', label: 'Anyone' },
            ...(data?.users ?? []).map((u) => ({ value: u.id, label: `${u.name} (${u.email})` })),
          ]}
        />
        <Field
          label="From"
          type="datetime-local"
          value={draft.from}
          onChange={(e) => setDraft({ ...draft, from: e.target.value })}
          error={shownError.from}
        />
        <Field
          label="Until"
          type="datetime-local"
          value={draft.to}
          onChange={(e) => setDraft({ ...draft, to: e.target.value })}
          error={shownError.to}
        />
        <div className="field end">
          <button type="submit" className="primary">
            Show
          </button>
        </div>
        <div className="field end">
          <a className="button" href={withQuery('/api/v1/audit/export', queryOf(filters))} download>
            Export CSV
          </a>
        </div>
      </form>
      {error && !Object.keys(shownError).length ? (
        <p className="error" role="alert">
          {errorText(error)}
        </p>
      ) : null}
      {!data && !error && <p>Loading the audit trail…</p>}
      {data && (
        <div className="table-wrap">
          <table className="list audit">
            <caption className="sr-only">Audit trail</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">Who</th>
                <th scope="col">Address</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {rows.length === 0 && (
                <tr>
                  <td colSpan={5}>Nothing matches these filters.</td>
                </tr>
              )}
              {rows.map((r) => (
                <tr key={r.id}>
                  <td data-label="When">{formatDateTime(r.at)}</td>
                  <td data-label="Action">
                    <code>{r.action}</code>
                  </td>
                  <td data-label="Who">
                    {r.actorName}
                    {r.actorKind === 'apiKey' ? ' (API key)' : ''}
                  </td>
                  <td data-label="Address" title={r.userAgent ?? ''}>
                    {r.ip ?? '—'}
                  </td>
                  <td data-label="Details" className="details">
                    {detailsText(r.details)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor && (
        <div className="actions">
          <button type="button" onClick={() => void loadMore()}>
            Show older
          </button>
        </div>
      )}
      <RetentionForm />
    </div>
  );
}

function RetentionForm() {
  const toast = useToast();
  const { data, reload } = useLoad(
    (signal) => api.get<{ retentionDays: number | null; version: number }>('/api/v1/audit/settings', undefined, signal),
    [],
  );
  const [days, setDays] = useState<string | null>(null);
  const [error, setError] = useState<string | undefined>();
  if (!data) return null;
  const shown = days ?? (data.retentionDays === null ? '' : String(data.retentionDays));
  const save = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await api.put('/api/v1/audit/settings', { retentionDays: shown === '' ? null : Number(shown) }, data.version);
      toast({ text: 'Retention saved', kind: 'success' });
      setError(undefined);
      setDays(null);
      reload();
    } catch (err) {
      setError(fieldErrors(err).retentionDays ?? errorText(err));
    }
  };
  return (
    <form className="filters retention" onSubmit={save} aria-labelledby="retention-head">
      <h3 id="retention-head">How long lines are kept</h3>
      <Field
        label="Keep lines for (days; empty: for ever)"
        type="number"
        min={30}
        max={3650}
        value={shown}
        onChange={(e) => setDays(e.target.value)}
        error={error}
      />
      <div className="field end">
        <button type="submit">Save retention</button>
      </div>
    </form>
  );
}
