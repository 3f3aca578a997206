import { useEffect, useState } from 'react';
import { api, errorText, type Page, type Query } from '../api.js';
import { Dialog } from '../components/Dialog.js';
import { useToast } from '../components/Toasts.js';
import { live } from '../live.js';
import { loadDirectory, userName } from '../lookups.js';
import { customerName, formatDateTime, relative } from '../format.js';
import { Link } from '../router.js';
import { useSession } from '../session.js';
import { tasksApi } from '../tasksApi.js';
import type { Customer, DirectoryUser, Task } from '../apiTypes.js';
import { TaskForm } from './TaskForm.js';

export function TaskRows({
  tasks,
  users,
  onChanged,
  showCustomer,
}: {
  tasks: Task[];
  users?: DirectoryUser[];
  onChanged: (t: Task) => void;
  showCustomer?: boolean;
}) {
  const { can } = useSession();
  const toast = useToast();
  const close = async (t: Task, status: 'done' | 'cancelled') => {
    try {
      onChanged(await tasksApi.update(t, { status }));
    } catch (e) {
      toast({ text: errorText(e), kind: 'error' });
    }
  };
  return (
    <ul className="tasks" aria-label="Tasks">
      {tasks.map((t) => (
        <li key={t.id} className={`task ${t.status} ${t.overdue ? 'overdue' : ''}`}>
          <div className="task-main">
            <span className="badge">{t.type}</span>{' '}
            <strong>
              <bdi>{t.subject}</bdi>
            </strong>
            {t.overdue && <span className="badge warn">overdue</span>}
            {t.status !== 'open' && <span className="badge">{t.status}</span>}
            <div className="muted">
              {t.dueAt ? (
                <>
                  due <time dateTime={t.dueAt}>{formatDateTime(t.dueAt)}</time> ({relative(t.dueAt)})
                </>
              ) : (
                'no due time'
              )}
              {t.remindAt && t.status === 'open' && <> · reminder {formatDateTime(t.remindAt)}</>} ·{' '}
              {userName(users, t.assigneeId)}
              {showCustomer && (
                <>
                  {' '}
                  · <Link to={`/customers/${t.customerId}?tab=tasks`}>customer</Link>
                </>
              )}
              {t.caseId && (
                <>
                  {' '}
                  · <Link to={`/cases/${t.caseId}`}>case</Link>
                </>
              )}
            </div>
            {t.notes && <div className="notes">{t.notes}</div>}
          </div>
          {t.status === 'open' && can('tasks.edit') && (
            <div className="task-actions">
              <button type="button" onClick={() => void close(t, 'done')} aria-label={`Mark "${t.subject}" done`}>
                Done
              </button>
              <button type="button" onClick={() => void close(t, 'cancelled')} aria-label={`Cancel "${t.subject}"`}>
                Cancel
              </button>
            </div>
          )}
        </li>
      ))}
    </ul>
  );
}

/** The tasks of a customer or a case, with "new task" and "schedule call-back". */
export function TaskList({ filter, customer, caseId }: { filter: Query; customer: Customer; caseId?: string }) {
  const { can } = useSession();
  const [items, setItems] = useState<Task[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [users, setUsers] = useState<DirectoryUser[]>();
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState<null | 'task' | 'callback'>(null);
  const [tick, setTick] = useState(0);
  const key = JSON.stringify(filter);

  useEffect(() => {
    loadDirectory().then(setUsers, () => {});
  }, []);
  useEffect(() => {
    const ctl = new AbortController();
    api.get<Page<Task>>('/api/v1/tasks', { ...(JSON.parse(key) as Query), limit: 50 }, ctl.signal).then(
      (p) => {
        setItems(p.items);
        setNext(p.nextCursor);
      },
      (e) => !ctl.signal.aborted && setError(errorText(e)),
    );
    return () => ctl.abort();
  }, [key, tick]);
  useEffect(() => live.subscribe((e) => e.recordType === 'task' && e.type !== 'reminder' && setTick((t) => t + 1)), []);

  const more = async () => {
    try {
      const p = await api.get<Page<Task>>('/api/v1/tasks', { ...filter, limit: 50, cursor: next ?? undefined });
      setItems((o) => [...o, ...p.items]);
      setNext(p.nextCursor);
    } catch (e) {
      setError(errorText(e));
    }
  };

  const name = customerName(customer);
  return (
    <div className="task-list">
      {can('tasks.create') && (
        <div className="toolbar">
          <button type="button" className="primary" onClick={() => setCreating('task')}>
            New task
          </button>
          <button type="button" onClick={() => setCreating('callback')}>
            Schedule call-back
          </button>
        </div>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {items.length === 0 && !error ? (
        <p className="empty">No tasks.</p>
      ) : (
        <TaskRows
          tasks={items}
          users={users}
          onChanged={(t) => setItems((o) => o.map((x) => (x.id === t.id ? t : x)))}
        />
      )}
      {next && (
        <button type="button" onClick={() => void more()}>
          More tasks
        </button>
      )}
      <Dialog
        open={creating !== null}
        title={creating === 'callback' ? `Schedule a call-back to ${name}` : `New task for ${name}`}
        onClose={() => setCreating(null)}
        wide
      >
        {creating && (
          <TaskForm
            customerId={customer.id}
            caseId={caseId}
            storeKey={`${creating}:${customer.id}:${caseId ?? ''}`}
            preset={creating === 'callback' ? { type: 'call', subject: `Call back ${name}` } : undefined}
            onCreated={() => {
              setCreating(null);
              setTick((t) => t + 1);
            }}
            onCancel={() => setCreating(null)}
          />
        )}
      </Dialog>
    </div>
  );
}
