import { labelOf, useCaseRefs, userName } from '../lookups.js';
import { formatDateTime } from '../format.js';
import { Link } from '../router.js';
import type { Case } from '../apiTypes.js';

/** The cases table of the Cases tab and of a customer record (the latter without severity). */
export function CasesTable({
  items,
  caption,
  busy = false,
  showSeverity = true,
}: {
  items: Case[];
  caption: string;
  busy?: boolean;
  showSeverity?: boolean;
}) {
  const { settings, users } = useCaseRefs();
  return (
    <div className="table-wrap">
      <table className="list" aria-busy={busy}>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Case</th>
            <th scope="col">Subject</th>
            <th scope="col">Status</th>
            <th scope="col">Priority</th>
            {showSeverity && <th scope="col">Severity</th>}
            <th scope="col">Owner</th>
            <th scope="col">Opened</th>
          </tr>
        </thead>
        <tbody>
          {items.map((c) => (
            <tr key={c.id}>
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
              <td data-label="Opened">{formatDateTime(c.openedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
