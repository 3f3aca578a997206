import { useEffect, useState, type ReactNode } from 'react';
import { api, errorText, type Page } from '../api.js';
import type { Case, Notification, Task } from '../apiTypes.js';
import { formatContactAddress, formatDateTime } from '../format.js';
import { live } from '../live.js';
import { labelOf, loadCaseSettings } from '../lookups.js';
import { Link } from '../router.js';
import { useSession } from '../session.js';
import { NotificationItem } from './Inbox.js';
import { interactionsApi, type Interaction } from './interactionsApi.js';

/** A list of the home screen, loading on its own: one slow or refused list never holds up the others. */
function useList<T>(load: (() => Promise<T[]>) | null, deps: unknown[]): { items: T[] | null; error: string | null } {
  const [items, setItems] = useState<T[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!load) return;
    let alive = true;
    load().then(
      (r) => alive && setItems(r),
      (e) => alive && setError(errorText(e)),
    );
    return () => {
      alive = false;
    };
  }, deps);
  return { items, error };
}

function Panel<T>({
  id,
  title,
  more,
  list,
  empty,
  render,
}: {
  id: string;
  title: string;
  more: { to: string; label: string };
  list: { items: T[] | null; error: string | null };
  empty: string;
  render: (item: T) => ReactNode;
}) {
  return (
    <section className="panel my-work-panel" aria-labelledby={`${id}-title`} data-panel={id}>
      <h2 id={`${id}-title`}>{title}</h2>
      {list.error ? (
        <p className="error" role="alert">
          {list.error}
        </p>
      ) : list.items === null ? (
        <p className="loading">Loading…</p>
      ) : list.items.length === 0 ? (
        <p className="empty">{empty}</p>
      ) : (
        <ul>{list.items.map(render)}</ul>
      )}
      <p>
        <Link to={more.to}>{more.label}</Link>
      </p>
    </section>
  );
}

/**
 * My work: where an agent lands after signing in. My open cases, most urgent
 * priority first (in the administrator's order of priorities), my tasks overdue and due
 * today, my unread notifications and my latest interactions; each list is
 * the API's own list with filters, and each panel links to the full screen.
 */
export function MyWorkScreen() {
  const { me, can } = useSession();
  const [tick, setTick] = useState(0);
  // New notifications and marks elsewhere refresh the unread panel.
  useEffect(() => live.on(['notification.created', 'notification.read'], () => setTick((t) => t + 1)), []);
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;

  const cases = useList<Case & { priorityLabel: string }>(
    can('cases.view')
      ? async () => {
          const [page, settings] = await Promise.all([
            api.get<Page<Case>>('/api/v1/cases', { ownerId: 'me', status: 'open', limit: 100 }),
            loadCaseSettings(),
          ]);
          // The administrator lists priorities from least to most urgent: the most urgent come first here.
          const rank = (key: string) => settings.priorities.findIndex((p) => p.key === key);
          return page.items
            .map((c) => ({ ...c, priorityLabel: labelOf(settings.priorities, c.priority) }))
            .sort((a, b) => rank(b.priority) - rank(a.priority) || a.openedAt.localeCompare(b.openedAt));
        }
      : null,
    [],
  );
  const tasks = useList<Task & { overdue: boolean }>(
    can('tasks.view')
      ? async () => {
          const [overdue, today] = await Promise.all([
            api.get<Page<Task>>('/api/v1/tasks', { assigneeId: 'me', due: 'overdue', limit: 50 }),
            api.get<Page<Task>>('/api/v1/tasks', { assigneeId: 'me', due: 'today', tz, limit: 50 }),
          ]);
          const seen = new Set(overdue.items.map((t) => t.id));
          return [
            ...overdue.items.map((t) => ({ ...t, overdue: true })),
            ...today.items.filter((t) => !seen.has(t.id)).map((t) => ({ ...t, overdue: false })),
          ];
        }
      : null,
    [],
  );
  const notifications = useList<Notification>(
    async () => (await api.get<Page<Notification>>('/api/v1/notifications', { unread: true, limit: 10 })).items,
    [tick],
  );
  const interactions = useList<Interaction>(
    can('customers.view') ? async () => (await interactionsApi.list({ agentId: me.id, limit: 10 })).items : null,
    [],
  );

  return (
    <section className="my-work">
      <h1 tabIndex={-1}>My work</h1>
      <div className="my-work-grid">
        {can('cases.view') && (
          <Panel
            id="my-cases"
            title="My open cases"
            more={{ to: '/cases', label: 'All cases' }}
            list={cases}
            empty="No open cases assigned to you."
            render={(c) => (
              <li key={c.id}>
                <span className={`badge priority-${c.priority}`}>{c.priorityLabel}</span>{' '}
                <Link to={`/cases/${c.id}`}>
                  {c.caseNumber}: <bdi>{c.subject}</bdi>
                </Link>
              </li>
            )}
          />
        )}
        {can('tasks.view') && (
          <Panel
            id="my-tasks"
            title="My tasks due today and overdue"
            more={{ to: '/tasks', label: 'All my tasks' }}
            list={tasks}
            empty="Nothing due today."
            render={(t) => (
              <li key={t.id}>
                {t.overdue && <span className="badge overdue">Overdue</span>} <bdi>{t.subject}</bdi>{' '}
                <span className="muted">due {formatDateTime(t.dueAt)}</span>
              </li>
            )}
          />
        )}
        <Panel
          id="my-notifications"
          title="Unread notifications"
          more={{ to: '/inbox', label: 'Inbox' }}
          list={notifications}
          empty="Nothing unread."
          render={(n) => <NotificationItem key={n.id} n={n} onRead={() => setTick((x) => x + 1)} />}
        />
        {can('customers.view') && (
          <Panel
            id="my-interactions"
            title="My recent interactions"
            more={{ to: '/customers', label: 'Customers' }}
            list={interactions}
            empty="No interactions yet."
            render={(i) => {
              const who = i.direction === 'outbound' ? i.to : i.from;
              return (
                <li key={i.id}>
                  {i.channel} {i.direction}
                  {who ? ` · ${formatContactAddress(who)}` : ''} ·{' '}
                  <time dateTime={i.startedAt}>{formatDateTime(i.startedAt)}</time>
                  {i.customerId && (
                    <>
                      {' '}
                      · <Link to={`/customers/${i.customerId}`}>Customer</Link>
                    </>
                  )}
                  {i.caseId && (
                    <>
                      {' '}
                      · <Link to={`/cases/${i.caseId}`}>Case</Link>
                    </>
                  )}
                </li>
              );
            }}
          />
        )}
      </div>
    </section>
  );
}
