import { useDragReorder } from '../useDragReorder.js';
import { useCaseRefs } from '../lookups.js';
import type { Case } from '../apiTypes.js';
import type { FieldDef } from '../customFields.js';
import { caseColumns, DEFAULT_CASE_COLUMNS } from './caseColumns.js';

/** Row checkboxes (the Cases list's bulk actions): the selected ids and how to change them. */
export interface CaseSelection {
  selected: ReadonlySet<string>;
  toggle: (id: string) => void;
  /** Selects every row shown, or clears them all when every one is selected. */
  toggleAll: () => void;
}

/**
 * The cases table of the Cases tab (its columns as the user chose them, headers draggable
 * to reorder) and of a customer record (the default columns, without severity).
 */
export function CasesTable({
  items,
  caption,
  busy = false,
  showSeverity = true,
  selection,
  columns,
  defs = [],
  onDropColumn,
}: {
  items: Case[];
  caption: string;
  busy?: boolean;
  showSeverity?: boolean;
  selection?: CaseSelection;
  /** The column keys to show, in order (default: DEFAULT_CASE_COLUMNS). */
  columns?: string[];
  /** The case custom field definitions, for `cf.<key>` columns. */
  defs?: readonly FieldDef[];
  /** A header dropped on another one: move `key` to where `target` is. */
  onDropColumn?: (key: string, target: string) => void;
}) {
  const refs = useCaseRefs();
  const dragProps = useDragReorder((key, target) => onDropColumn?.(key, target));
  const available = caseColumns(refs, defs);
  const keys = (columns ?? DEFAULT_CASE_COLUMNS).filter((k) => showSeverity || k !== 'severity');
  const shown = keys.map((k) => available.find((c) => c.key === k)).filter((c) => c !== undefined);
  const allSelected = !!selection && items.length > 0 && items.every((c) => selection.selected.has(c.id));
  return (
    <div className="table-wrap">
      <table className="list" aria-busy={busy}>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            {selection && (
              <th scope="col" className="select-cell">
                <input
                  type="checkbox"
                  aria-label="Select all cases shown"
                  checked={allSelected}
                  disabled={items.length === 0}
                  onChange={selection.toggleAll}
                />
              </th>
            )}
            {shown.map((c) =>
              onDropColumn ? (
                <th key={c.key} scope="col" {...dragProps(c.key)}>
                  {c.label}
                </th>
              ) : (
                <th key={c.key} scope="col" data-column={c.key}>
                  {c.label}
                </th>
              ),
            )}
          </tr>
        </thead>
        <tbody>
          {items.map((c) => (
            <tr key={c.id} aria-selected={selection ? selection.selected.has(c.id) : undefined}>
              {selection && (
                <td className="select-cell">
                  <input
                    type="checkbox"
                    aria-label={`Select case ${c.caseNumber}`}
                    checked={selection.selected.has(c.id)}
                    onChange={() => selection.toggle(c.id)}
                  />
                </td>
              )}
              {shown.map((col) => (
                <td key={col.key} data-label={col.label}>
                  {col.render(c)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
