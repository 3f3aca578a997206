import { reminderTitle } from '../../../src/formats/due.js';
import { useEffect, useState } from 'react';
import { errorText } from '../api.js';
import { useToast } from '../components/Toasts.js';
import { live, type LiveEvent } from '../live.js';
import { formatDateTime, relative } from '../format.js';
import { Link } from '../router.js';
import { useSession } from '../session.js';
import { tasksApi } from '../tasksApi.js';
import type { ActiveReminder } from '../apiTypes.js';

const hasNotifications = () => typeof window !== 'undefined' && 'Notification' in window;

function notify(r: ActiveReminder): void {
  if (!hasNotifications() || Notification.permission !== 'granted' || document.hasFocus()) return;
  try {
    const n = new Notification(`Reminder: ${r.subject}`, {
      body: r.dueAt ? `Due ${formatDateTime(r.dueAt)}` : 'Task reminder',
      tag: `reminder-${r.id}`,
    });
    n.onclick = () => window.focus();
  } catch {
    // some browsers only allow notifications from a service worker: the pop-up is enough
  }
}

export function NotificationToggle() {
  const [perm, setPerm] = useState(() => (hasNotifications() ? Notification.permission : 'denied'));
  if (!hasNotifications() || perm !== 'default') return null;
  return (
    <button type="button" onClick={() => void Notification.requestPermission().then(setPerm)}>
      Enable desktop notifications
    </button>
  );
}

function fromEvent(e: LiveEvent<'reminder'>): ActiveReminder {
  return {
    id: e.reminderId,
    taskId: e.taskId,
    kind: e.kind,
    state: 'fired',
    firedAt: e.at,
    fireAt: e.fireAt,
    subject: e.subject,
    taskType: e.taskType,
    dueAt: e.dueAt,
    customerId: e.customerId,
    caseId: e.caseId,
  };
}

/** Reminder pop-ups: those still showing when the console opens, then each as it arrives live. */
export function Reminders() {
  const { can } = useSession();
  const toast = useToast();
  const [items, setItems] = useState<ActiveReminder[]>([]);
  const enabled = can('tasks.view');

  useEffect(() => {
    if (!enabled) return;
    const load = () =>
      tasksApi.activeReminders().then(
        (list) => setItems((old) => [...list, ...old.filter((o) => !list.some((l) => l.id === o.id))]),
        () => {},
      );
    void load();
    return live.subscribe((e) => {
      if (e.type === 'reset') {
        setItems([]);
        void load();
      } else if (e.type === 'reminder') {
        const r = fromEvent(e);
        setItems((old) => [...old.filter((o) => o.id !== r.id && !(o.taskId === r.taskId && o.kind === r.kind)), r]);
        notify(r);
      } else if (e.type === 'reminder.cleared') {
        const ids = e.reminderIds;
        setItems((old) => old.filter((o) => !ids.includes(o.id) && (ids.length > 0 || o.taskId !== e.taskId)));
      }
    });
  }, [enabled]);

  const act = async (r: ActiveReminder, fn: () => Promise<unknown>) => {
    try {
      await fn();
      setItems((old) => old.filter((o) => o.taskId !== r.taskId));
    } catch (e) {
      toast({ text: errorText(e), kind: 'error' });
    }
  };

  if (items.length === 0) return null;
  return (
    <section className="reminders" aria-label="Reminders" aria-live="assertive">
      {items.slice(-4).map((r) => (
        <div key={r.id} className={`reminder ${r.kind}`} role="alert" data-reminder={r.taskId}>
          <h2>
            {reminderTitle(r.kind, r.dueAt, Date.now())}: <bdi>{r.subject}</bdi>
          </h2>
          <p>
            <span className="badge">{r.taskType}</span>{' '}
            {r.dueAt ? (
              <>
                due {formatDateTime(r.dueAt)} ({relative(r.dueAt)})
              </>
            ) : (
              'no due time'
            )}
          </p>
          <p className="links">
            {r.customerId && <Link to={`/customers/${r.customerId}?tab=tasks`}>Open customer</Link>}
            {r.caseId && <Link to={`/cases/${r.caseId}`}>Open case</Link>}
          </p>
          <div className="actions" role="group" aria-label={`Snooze or dismiss ${r.subject}`}>
            {[5, 10, 30].map((m) => (
              <button key={m} type="button" onClick={() => void act(r, () => tasksApi.snooze(r.taskId, m))}>
                Snooze {m} min
              </button>
            ))}
            <button type="button" className="primary" onClick={() => void act(r, () => tasksApi.dismiss(r.taskId))}>
              Dismiss
            </button>
          </div>
        </div>
      ))}
      {items.length > 4 && <p className="muted">and {items.length - 4} more</p>}
    </section>
  );
}
