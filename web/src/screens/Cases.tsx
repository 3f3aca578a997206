import { useEffect, useRef, useState } from 'react';
import { api, errorText, type Page } from '../api.js';
import { useDebounced, useStoredState } from '../hooks.js';
import { useCaseRefs } from '../lookups.js';
import type { Case } from '../apiTypes.js';
import { CasesTable } from '../components/CasesTable.js';
import { ExportButton } from '../components/ExportButton.js';
import { useSession } from '../session.js';
import { CaseNewDialog } from './CaseNewDialog.js';
import { useToast } from '../components/Toasts.js';
import { CaseBulkBar } from '../components/CaseBulkBar.js';
import { TagInput, tagList } from '../components/Tags.js';
import { useCaseSelection } from '../components/caseSelection.js';
import { CaseViews, type ViewQuery } from '../components/CaseViews.js';
import type { CaseView } from '../apiTypes.js';
import { useFieldDefs } from '../customFields.js';
import { CustomFieldFilter } from '../components/CustomFieldFilter.js';
import { caseColumns, cleanCaseColumns, DEFAULT_CASE_COLUMNS } from '../components/caseColumns.js';
import { dropColumn, useColumnPreference } from '../columns.js';
import { ColumnChooser } from './ColumnChooser.js';

interface CaseFilters {
  q: string;
  caseNumber: string;
  status: string;
  priority: string;
  severity: string;
  ownerId: string;
  visibility: string;
  sort: string;
  /** Comma-separated: cases carrying every one of these tags. */
  tags?: string;
  /** Not updated for at least this many days ('' for any). */
  staleDays?: string;
  /**
   * Custom field filters: what follows `cf.` in the list's query (`product`, or `units.gte`
   * from a saved view) → the value ('' for any).
   */
  cf?: Record<string, string | string[]>;
}

/** The custom field filters as the list's query parameters (`cf.<key>`), empty ones left out. */
function cfQuery(cf: CaseFilters['cf']): Record<string, string | string[]> {
  return Object.fromEntries(
    Object.entries(cf ?? {})
      .filter(([, v]) => v !== '' && !(Array.isArray(v) && v.length === 0))
      .map(([k, v]) => [`cf.${k}`, v]),
  );
}

/** The list's filters as a saved view holds them (the case number is not part of a view). */
function viewQueryOf(f: CaseFilters): ViewQuery {
  const tag = tagList(f.tags ?? '');
  return {
    filter: {
      status: f.status || undefined,
      priority: f.priority || undefined,
      severity: f.severity || undefined,
      ownerId: f.ownerId || undefined,
      visibility: (f.visibility || undefined) as ViewQuery['filter']['visibility'],
      q: f.q.trim() || undefined,
      tag: tag && tag.length > 0 ? tag : undefined,
      notUpdatedForDays: f.staleDays ? Number(f.staleDays) : undefined,
      ...cfQuery(f.cf),
    },
    sort: (f.sort || '-openedAt') as CaseView['sort'],
  };
}

/**
 * A saved view's filters as the list's (filters a view holds that this screen has no control for are
 * left out, except custom field ones: those the screen has no box for, such as a range, still apply).
 */
function filtersOfView(v: ViewQuery): CaseFilters {
  const f = v.filter;
  const cf: Record<string, string | string[]> = {};
  for (const [k, val] of Object.entries(f)) {
    if (k.startsWith('cf.') && (typeof val === 'string' || Array.isArray(val))) cf[k.slice(3)] = val;
  }
  return {
    q: f.q ?? '',
    caseNumber: '',
    status: f.status ?? '',
    priority: f.priority ?? '',
    severity: f.severity ?? '',
    ownerId: f.ownerId ?? '',
    visibility: f.visibility ?? '',
    sort: v.sort,
    tags: (f.tag ?? []).join(', '),
    staleDays: f.notUpdatedForDays ? String(f.notUpdatedForDays) : '',
    cf,
  };
}

/**
 * The list's first filter depends on the role: an agent sees their own open
 * cases; whoever may see every case (cases.viewPrivate: supervisors and
 * administrators by default) sees all open cases.
 */
export function defaultCaseFilters(seesAll: boolean): CaseFilters {
  return {
    q: '',
    caseNumber: '',
    status: 'open',
    priority: '',
    severity: '',
    ownerId: seesAll ? '' : 'me',
    visibility: '',
    sort: '-openedAt',
  };
}

export function CasesScreen() {
  const refs = useCaseRefs();
  const { settings, users } = refs;
  const defs = useFieldDefs('case');
  const [cols, setCols, colError] = useColumnPreference('cases.columns', DEFAULT_CASE_COLUMNS, cleanCaseColumns);
  const available = caseColumns(refs, defs);
  const shownCols = cols.filter((k) => available.some((c) => c.key === k));
  const { can } = useSession();
  const defaults = defaultCaseFilters(can('cases.viewPrivate'));
  // Kept per default, so a supervisor's saved filter from the old "me" default does not hide everyone's cases.
  const [f, setF] = useStoredState<CaseFilters>(`cases:list:${defaults.ownerId || 'all'}`, defaults);
  const [creating, setCreating] = useState(false);
  const q = useDebounced(f.q, 250);
  const tagText = useDebounced(f.tags ?? '', 300);
  const caseNumber = useDebounced(f.caseNumber, 250);
  const cfText = useDebounced(JSON.stringify(cfQuery(f.cf)), 250);
  const [items, setItems] = useState<Case[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const seq = useRef(0);

  const query = {
    q: q.trim() || undefined,
    caseNumber: /^\d+$/.test(caseNumber.trim()) ? caseNumber.trim() : undefined,
    status: f.status || undefined,
    priority: f.priority || undefined,
    severity: f.severity || undefined,
    ownerId: f.ownerId || undefined,
    visibility: f.visibility || undefined,
    sort: f.sort || undefined,
    tag: tagList(tagText),
    notUpdatedForDays: f.staleDays || undefined,
    limit: 50,
    ...(JSON.parse(cfText) as Record<string, string | string[]>),
  };
  const key = JSON.stringify(query);

  useEffect(() => {
    const n = ++seq.current;
    const ctl = new AbortController();
    setLoading(true);
    api.get<Page<Case>>('/api/v1/cases', JSON.parse(key) as typeof query, ctl.signal).then(
      (p) => {
        if (n !== seq.current) return;
        setItems(p.items);
        setNext(p.nextCursor);
        setError(null);
        setLoading(false);
      },
      (e) => {
        if (ctl.signal.aborted || n !== seq.current) return;
        setError(errorText(e));
        setLoading(false);
      },
    );
    return () => ctl.abort();
  }, [key]);

  const more = async () => {
    setLoading(true);
    try {
      const p = await api.get<Page<Case>>('/api/v1/cases', { ...query, cursor: next ?? undefined });
      setItems((o) => [...o, ...p.items.filter((c) => !o.some((x) => x.id === c.id))]);
      setNext(p.nextCursor);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setLoading(false);
    }
  };

  const set = (p: Partial<CaseFilters>) => setF((o) => ({ ...o, ...p }));
  const selection = useCaseSelection(items);
  const toast = useToast();
  const opt = (items: { key: string; label: string }[] | undefined) =>
    (items ?? []).map((i) => (
      <option key={i.key} value={i.key}>
        {i.label}
      </option>
    ));

  return (
    <section className="screen cases">
      <div className="screen-head">
        <h1 tabIndex={-1}>Cases</h1>
        {can('cases.create') && (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New case
          </button>
        )}
      </div>
      <CaseNewDialog open={creating} onClose={() => setCreating(false)} />
      <CaseViews current={viewQueryOf(f)} onApply={(v) => setF(filtersOfView(v))} />
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <div className="field grow">
          <label htmlFor="case-search">Search cases</label>
          <input
            id="case-search"
            type="search"
            data-search
            placeholder="Words in subject or description"
            value={f.q}
            onChange={(e) => set({ q: e.target.value })}
          />
        </div>
        <div className="field narrow">
          <label htmlFor="case-number">Case number</label>
          <input
            id="case-number"
            inputMode="numeric"
            value={f.caseNumber}
            onChange={(e) => set({ caseNumber: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor="case-status">Status</label>
          <select id="case-status" value={f.status} onChange={(e) => set({ status: e.target.value })}>
            <option value="">Any</option>
            <option value="open">All open</option>
            <option value="closed">All closed</option>
            {opt(settings?.statuses.filter((s) => s.key !== 'open' && s.key !== 'closed'))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="case-priority">Priority</label>
          <select id="case-priority" value={f.priority} onChange={(e) => set({ priority: e.target.value })}>
            <option value="">Any</option>
            {opt(settings?.priorities)}
          </select>
        </div>
        <div className="field">
          <label htmlFor="case-severity">Severity</label>
          <select id="case-severity" value={f.severity} onChange={(e) => set({ severity: e.target.value })}>
            <option value="">Any</option>
            {opt(settings?.severities)}
          </select>
        </div>
        <div className="field">
          <label htmlFor="case-owner">Owner</label>
          <select id="case-owner" value={f.ownerId} onChange={(e) => set({ ownerId: e.target.value })}>
            <option value="">Anyone</option>
            <option value="me">Me</option>
            <option value="none">Unassigned</option>
            {(users ?? []).map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="case-visibility">Visibility</label>
          <select id="case-visibility" value={f.visibility} onChange={(e) => set({ visibility: e.target.value })}>
            <option value="">Any</option>
            <option value="public">Public</option>
            <option value="private">Private</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="case-tags">Tags</label>
          <TagInput
            id="case-tags"
            source="/api/v1/cases/tags"
            value={f.tags ?? ''}
            onChange={(v) => set({ tags: v })}
            placeholder="Every tag, comma-separated"
          />
        </div>
        <div className="field">
          <label htmlFor="case-stale">Not updated for</label>
          <select id="case-stale" value={f.staleDays ?? ''} onChange={(e) => set({ staleDays: e.target.value })}>
            <option value="">Any time</option>
            {[1, 2, 3, 7, 14, 30].map((d) => (
              <option key={d} value={String(d)}>
                {d === 1 ? 'A day or more' : `${d} days or more`}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="case-sort">Sort</label>
          <select id="case-sort" value={f.sort} onChange={(e) => set({ sort: e.target.value })}>
            <option value="-openedAt">Newest first</option>
            <option value="openedAt">Oldest first</option>
            <option value="-updatedAt">Recently updated</option>
            <option value="-caseNumber">Case number ↓</option>
            <option value="caseNumber">Case number ↑</option>
          </select>
        </div>
        {defs
          .filter((d) => d.filterable && !d.retired)
          .map((d) => {
            const v = f.cf?.[d.key];
            return (
              <CustomFieldFilter
                key={d.key}
                d={d}
                value={typeof v === 'string' ? v : ''}
                onChange={(value) => set({ cf: { ...(f.cf ?? {}), [d.key]: value } })}
              />
            );
          })}
        <ColumnChooser columns={cols} onChange={setCols} available={available} required="caseNumber" />
        <ExportButton object="cases" query={query} columns={shownCols} />
      </form>
      {colError && (
        <p className="error" role="alert">
          {colError}
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {selection.selected.size > 0 && (
        <CaseBulkBar
          cases={items.filter((c) => selection.selected.has(c.id))}
          onClear={selection.clear}
          onDone={(changed, message) => {
            setItems((o) => o.map((c) => changed.find((x) => x.id === c.id) ?? c));
            selection.clear();
            toast({ text: message, kind: 'success' });
          }}
        />
      )}
      <CasesTable
        items={items}
        caption="Cases"
        busy={loading}
        selection={selection}
        columns={shownCols}
        defs={defs}
        onDropColumn={(key, target) => cols.includes(key) && setCols(dropColumn(cols, key, target))}
      />
      {!loading && items.length === 0 && !error && (
        <EmptyCases filters={f} defaults={defaults} onChange={(p) => set(p)} onReset={() => setF(defaults)} />
      )}
      <div className="list-foot">
        {loading && <span aria-live="polite">Loading…</span>}
        {next && !loading && (
          <button type="button" onClick={() => void more()}>
            Load more
          </button>
        )}
      </div>
    </section>
  );
}

/** An empty list says why (which filters) and offers to widen them. */
function EmptyCases({
  filters: f,
  defaults,
  onChange,
  onReset,
}: {
  filters: CaseFilters;
  defaults: CaseFilters;
  onChange: (p: Partial<CaseFilters>) => void;
  onReset: () => void;
}) {
  const why: string[] = [];
  if (f.ownerId === 'me') why.push('assigned to you');
  else if (f.ownerId === 'none') why.push('unassigned');
  else if (f.ownerId) why.push('assigned to the chosen owner');
  if (f.status === 'open') why.push('open');
  else if (f.status === 'closed') why.push('closed');
  else if (f.status) why.push(`in status "${f.status}"`);
  if (f.q.trim()) why.push('matching the search');
  if (f.caseNumber.trim()) why.push('with that case number');
  if (f.tags?.trim()) why.push('with the chosen tags');
  if (f.staleDays) why.push(`not updated for ${f.staleDays} days or more`);
  if (Object.keys(cfQuery(f.cf)).length > 0) why.push('with the chosen custom field values');
  if (f.priority || f.severity || f.visibility) why.push('with the chosen priority, severity or visibility');
  const changed = JSON.stringify({ ...f, sort: '' }) !== JSON.stringify({ ...defaults, sort: '' });
  return (
    <div className="empty" role="status">
      <p>{why.length > 0 ? `No cases ${why.join(', ')}.` : 'No cases yet.'}</p>
      <p className="actions">
        {f.ownerId && (
          <button type="button" onClick={() => onChange({ ownerId: '' })}>
            Show everyone&apos;s cases
          </button>
        )}
        {f.status && (
          <button type="button" onClick={() => onChange({ status: '' })}>
            Show cases in any status
          </button>
        )}
        {changed && (
          <button type="button" onClick={onReset}>
            Reset the filters
          </button>
        )}
      </p>
    </div>
  );
}
