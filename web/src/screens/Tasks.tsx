import { useEffect, useState } from 'react';
import { api, errorText, type Page } from '../api.js';
import { useStoredState } from '../hooks.js';
import { live } from '../live.js';
import { loadDirectory } from '../lookups.js';
import { timeZone } from '../tasksApi.js';
import type { DirectoryUser, Task } from '../apiTypes.js';
import { NotificationToggle } from './Reminders.js';
import { TaskRows } from './TaskList.js';

const VIEWS = [
  { key: 'today', label: 'Today' },
  { key: 'overdue', label: 'Overdue' },
  { key: 'upcoming', label: 'Upcoming' },
  { key: 'done', label: 'Done' },
] as const;

/** My tasks: today, overdue, upcoming, done. */
export function TasksScreen() {
  const [view, setView] = useStoredState<string>('tasks:view', 'today');
  const [items, setItems] = useState<Task[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [users, setUsers] = useState<DirectoryUser[]>();
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const query = { assigneeId: 'me', due: view, tz: timeZone(), limit: 50 };

  useEffect(() => {
    loadDirectory().then(setUsers, () => {});
  }, []);
  useEffect(() => live.subscribe((e) => e.recordType === 'task' && setTick((t) => t + 1)), []);
  useEffect(() => {
    const ctl = new AbortController();
    setLoading(true);
    api.get<Page<Task>>('/api/v1/tasks', { assigneeId: 'me', due: view, tz: timeZone(), limit: 50 }, ctl.signal).then(
      (p) => {
        setItems(p.items);
        setNext(p.nextCursor);
        setError(null);
        setLoading(false);
      },
      (e) => {
        if (ctl.signal.aborted) return;
        setError(errorText(e));
        setLoading(false);
      },
    );
    return () => ctl.abort();
  }, [view, tick]);

  const more = async () => {
    try {
      const p = await api.get<Page<Task>>('/api/v1/tasks', { ...query, cursor: next ?? undefined });
      setItems((o) => [...o, ...p.items]);
      setNext(p.nextCursor);
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <section className="screen tasks-screen">
      <div className="screen-head">
        <h1 tabIndex={-1}>My tasks</h1>
        <NotificationToggle />
      </div>
      <div role="tablist" aria-label="Which tasks" className="tabs">
        {VIEWS.map((v) => (
          <button
            key={v.key}
            type="button"
            role="tab"
            id={`ttab-${v.key}`}
            aria-selected={view === v.key}
            aria-controls="tasks-panel"
            onClick={() => setView(v.key)}
          >
            {v.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id="tasks-panel" aria-labelledby={`ttab-${view}`}>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        {loading && items.length === 0 ? (
          <p>Loading…</p>
        ) : items.length === 0 && !error ? (
          <p className="empty">Nothing here.</p>
        ) : (
          <TaskRows
            tasks={items}
            users={users}
            showCustomer
            onChanged={(t) => setItems((o) => o.map((x) => (x.id === t.id ? t : x)))}
          />
        )}
        {next && (
          <button type="button" onClick={() => void more()}>
            More tasks
          </button>
        )}
      </div>
      <p className="hint">To create a task or schedule a call-back, open the customer or the case.</p>
    </section>
  );
}
