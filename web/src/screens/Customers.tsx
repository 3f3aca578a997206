import { useEffect, useRef, useState } from 'react';
import { useDragReorder } from '../useDragReorder.js';
import { api, errorText, type Page } from '../api.js';
import { useDebounced, useStoredState } from '../hooks.js';
import { TagInput, tagList } from '../components/Tags.js';
import { Link } from '../router.js';
import { useFieldDefs } from '../customFields.js';
import { CustomFieldFilter } from '../components/CustomFieldFilter.js';
import { useSession } from '../session.js';
import type { Customer } from '../apiTypes.js';
import { ColumnChooser } from './ColumnChooser.js';
import { ExportButton } from '../components/ExportButton.js';
import { availableColumns, cleanColumns, columnByKey, DEFAULT_COLUMNS } from './customerColumns.js';
import { dropColumn, useColumnPreference } from '../columns.js';

const PREF_KEY = 'customers.columns';

interface ListState {
  /** Custom field filters: `cf.<key>` → value. */
  cf?: Record<string, string>;
  q: string;
  draft: '' | 'true' | 'false';
  vip: boolean;
  postalCode: string;
  /** Comma-separated: customers carrying every one of these tags. */
  tags?: string;
  sort: string;
}

const SORTS = [
  { value: '', label: 'Default (best match / name)' },
  { value: 'name', label: 'Name A–Z' },
  { value: '-name', label: 'Name Z–A' },
  { value: '-created', label: 'Newest first' },
  { value: 'created', label: 'Oldest first' },
  { value: '-updated', label: 'Recently updated' },
];

export function CustomersScreen() {
  const { can } = useSession();
  const [state, setState] = useStoredState<ListState>('customers:list', {
    q: '',
    draft: '',
    vip: false,
    postalCode: '',
    sort: '',
  });
  const q = useDebounced(state.q, 250);
  const postalCode = useDebounced(state.postalCode, 250);
  const tagText = useDebounced(state.tags ?? '', 300);
  const cfFilters = JSON.parse(useDebounced(JSON.stringify(state.cf ?? {}), 250)) as Record<string, string>;
  const allDefs = useFieldDefs('customer');
  const defs = allDefs.filter((d) => d.filterable && !d.retired);
  const [items, setItems] = useState<Customer[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [cols, setCols, colError] = useColumnPreference(PREF_KEY, DEFAULT_COLUMNS, cleanColumns);
  const reqSeq = useRef(0);

  const query = {
    q: q.trim() || undefined,
    draft: state.draft || undefined,
    vip: state.vip ? 'true' : undefined,
    postalCode: postalCode.trim() || undefined,
    tag: tagList(tagText),
    sort: state.sort || undefined,
    limit: 50,
    ...Object.fromEntries(
      Object.entries(cfFilters)
        .filter(([, v]) => v !== '')
        .map(([k, v]) => [`cf.${k}`, v]),
    ),
  };
  const queryKey = JSON.stringify(query);

  useEffect(() => {
    const seq = ++reqSeq.current;
    const ctl = new AbortController();
    setLoading(true);
    api.get<Page<Customer>>('/api/v1/customers', query, ctl.signal).then(
      (page) => {
        if (seq !== reqSeq.current) return;
        setItems(page.items);
        setNext(page.nextCursor);
        setError(null);
        setLoading(false);
      },
      (e) => {
        if (ctl.signal.aborted || seq !== reqSeq.current) return;
        setError(errorText(e));
        setLoading(false);
      },
    );
    return () => ctl.abort();
    // queryKey stands for the query object
  }, [queryKey]);

  const loadMore = async () => {
    if (!next) return;
    setLoading(true);
    try {
      const page = await api.get<Page<Customer>>('/api/v1/customers', { ...query, cursor: next });
      setItems((old) => [...old, ...page.items.filter((c) => !old.some((o) => o.id === c.id))]);
      setNext(page.nextCursor);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setLoading(false);
    }
  };

  const headerDragProps = useDragReorder((key, target) => {
    if (cols.includes(key)) setCols(dropColumn(cols, key, target));
  });

  const patch = (p: Partial<ListState>) => setState((s) => ({ ...s, ...p }));
  const shown = cols.map((k) => columnByKey(k, allDefs)).filter((c) => c !== undefined);

  return (
    <section className="screen customers">
      <div className="screen-head">
        <h1 tabIndex={-1}>Customers</h1>
        {can('customers.create') && (
          <Link to="/customers/new" className="button primary" aria-keyshortcuts="n">
            New customer
          </Link>
        )}
      </div>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <div className="field grow">
          <label htmlFor="customer-search">Search customers</label>
          <input
            id="customer-search"
            type="search"
            data-search
            aria-keyshortcuts="/"
            placeholder="Name, company, email, phone, account number"
            value={state.q}
            onChange={(e) => patch({ q: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor="customer-postal">Postal code</label>
          <input
            id="customer-postal"
            value={state.postalCode}
            onChange={(e) => patch({ postalCode: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor="customer-tags">Tags</label>
          <TagInput
            id="customer-tags"
            source="/api/v1/customers/tags"
            value={state.tags ?? ''}
            onChange={(v) => patch({ tags: v })}
            placeholder="Every tag, comma-separated"
          />
        </div>
        <div className="field">
          <label htmlFor="customer-draft">Status</label>
          <select
            id="customer-draft"
            value={state.draft}
            onChange={(e) => patch({ draft: e.target.value as ListState['draft'] })}
          >
            <option value="">All</option>
            <option value="true">Drafts</option>
            <option value="false">Complete</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="customer-sort">Sort</label>
          <select id="customer-sort" value={state.sort} onChange={(e) => patch({ sort: e.target.value })}>
            {SORTS.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
        <label className="check">
          <input type="checkbox" checked={state.vip} onChange={(e) => patch({ vip: e.target.checked })} /> VIP only
        </label>
        <ColumnChooser columns={cols} onChange={setCols} available={availableColumns(allDefs)} required="name" />
        <ExportButton object="customers" query={query} columns={cols} />
        {defs.map((d) => (
          <CustomFieldFilter
            key={d.key}
            d={d}
            value={state.cf?.[d.key] ?? ''}
            onChange={(v) => patch({ cf: { ...(state.cf ?? {}), [d.key]: v } })}
          />
        ))}
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
      <div className="table-wrap">
        <table className="list" aria-busy={loading}>
          <caption className="sr-only">Customers</caption>
          <thead>
            <tr>
              {shown.map((c) => (
                <th key={c.key} scope="col" {...headerDragProps(c.key)}>
                  {c.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {items.map((cust) => (
              <tr key={cust.id} className={cust.draft ? 'draft' : undefined}>
                {shown.map((c) => (
                  <td key={c.key} data-label={c.label}>
                    {c.render(cust)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!loading && items.length === 0 && !error && <p className="empty">No customers match.</p>}
      <div className="list-foot">
        {loading && <span aria-live="polite">Loading…</span>}
        {next && !loading && (
          <button type="button" onClick={() => void loadMore()}>
            Load more
          </button>
        )}
      </div>
    </section>
  );
}
