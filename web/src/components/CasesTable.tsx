import { labelOf, useCaseRefs, userName } from '../lookups.js';
import { formatDateTime } from '../format.js';
import { Link } from '../router.js';
import type { Case } from '../apiTypes.js';
import { TagChips } from './Tags.js';

/** Row checkboxes (the Cases list's bulk actions): the selected ids and how to change them. */
export interface CaseSelection {
  selected: ReadonlySet<string>;
  toggle: (id: string) => void;
  /** Selects every row shown, or clears them all when every one is selected. */
  toggleAll: () => void;
}

/** The cases table of the Cases tab and of a customer record (the latter without severity). */
export function CasesTable({
  items,
  caption,
  busy = false,
  showSeverity = true,
  selection,
}: {
  items: Case[];
  caption: string;
  busy?: boolean;
  showSeverity?: boolean;
  selection?: CaseSelection;
}) {
  const { settings, users } = useCaseRefs();
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
            <th scope="col">Case</th>
            <th scope="col">Subject</th>
            <th scope="col">Status</th>
            <th scope="col">Priority</th>
            {showSeverity && <th scope="col">Severity</th>}
            <th scope="col">Owner</th>
            <th scope="col">Tags</th>
            <th scope="col">Opened</th>
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
              <td data-label="Case">
                <Link to={`/cases/${c.id}`}>{c.caseNumber}</Link>
              </td>
              <td data-label="Subject">
                <bdi>{c.subject}</bdi>
                {c.visibility === 'private' && <span className="badge">private</span>}
              </td>
              <td data-label="Status">{labelOf(settings?.statuses, c.status)}</td>
              <td data-label="Priority">{labelOf(settings?.priorities, c.priority)}</td>
              {showSeverity && <td data-label="Severity">{labelOf(settings?.severities, c.severity)}</td>}
              <td data-label="Owner">{userName(users, c.ownerId)}</td>
              <td data-label="Tags">
                <TagChips tags={c.tags} />
              </td>
              <td data-label="Opened">{formatDateTime(c.openedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
