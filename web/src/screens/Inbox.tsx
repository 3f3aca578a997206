import { useCallback, useEffect, useState } from 'react';
import { api, errorText, type Page } from '../api.js';
import type { EmailPreferences, Notification } from '../apiTypes.js';
import { useToast } from '../components/Toasts.js';
import { formatDateTime } from '../format.js';
import { live } from '../live.js';
import { Link } from '../router.js';

type Kind = Notification['kind'];

const KIND_LABELS: Record<Kind, string> = {
  'case.assigned': 'A case is assigned to me',
  'case.unassigned': 'A case of mine goes to someone else',
  'case.reply': 'A customer replies on my case',
  mention: 'Someone mentions me in an internal note',
  reminder: 'A reminder of my task fires',
  'job.finished': 'An import or export I started finishes',
};

/** Where a notification leads in the console (the same rule as the emails' links, src/flows/notification-mail.ts). */
export function notificationPath(n: Notification): string | null {
  if (n.recordType === 'case' && n.recordId) return `/cases/${n.recordId}`;
  if (n.recordType === 'task') return '/tasks';
  if (n.recordType === 'job') return n.payload.jobKind === 'import' ? '/admin/import' : '/downloads';
  return null;
}

/** One notification: its title (a link to its case or task), when, and "Mark read" while unread. */
export function NotificationItem({ n, onRead }: { n: Notification; onRead: (id: string) => void }) {
  const to = notificationPath(n);
  const read = async () => {
    await api.post(`/api/v1/notifications/${n.id}/read`);
    onRead(n.id);
  };
  return (
    <li className={n.readAt ? 'notification read' : 'notification unread'} data-notification={n.id}>
      {!n.readAt && <span className="sr-only">Unread: </span>}
      {to ? (
        <Link to={to} onClick={() => void read().catch(() => undefined)}>
          {n.title}
        </Link>
      ) : (
        <span>{n.title}</span>
      )}{' '}
      <time className="muted" dateTime={n.createdAt}>
        {formatDateTime(n.createdAt)}
      </time>
      {typeof n.payload.excerpt === 'string' && <p className="muted">{n.payload.excerpt}</p>}
      {!n.readAt && (
        <button type="button" className="link" onClick={() => void read().catch(() => undefined)}>
          Mark read<span className="sr-only">: {n.title}</span>
        </button>
      )}
    </li>
  );
}

/**
 * The inbox: my notifications, newest first (unread ones marked), each linking
 * to its case or task; mark one or all read; and which kinds also come by email.
 * New ones arrive live; marks made in another console reload the list.
 */
export function InboxScreen() {
  const toast = useToast();
  const [unreadOnly, setUnreadOnly] = useState(false);
  const [items, setItems] = useState<Notification[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    const ctl = new AbortController();
    api
      .get<Page<Notification>>('/api/v1/notifications', { limit: 50, unread: unreadOnly || undefined }, ctl.signal)
      .then(
        (p) => {
          setItems(p.items);
          setNext(p.nextCursor);
          setError(null);
        },
        (e) => !ctl.signal.aborted && setError(errorText(e)),
      );
    return () => ctl.abort();
  }, [unreadOnly, tick]);

  useEffect(
    () =>
      live.on(['notification.created', 'notification.read'], (e) => {
        if (e.type === 'notification.created') setItems((old) => (old ? [e.notification, ...old] : old));
        else setTick((t) => t + 1);
      }),
    [],
  );

  const more = async () => {
    try {
      const p = await api.get<Page<Notification>>('/api/v1/notifications', {
        limit: 50,
        unread: unreadOnly || undefined,
        cursor: next ?? undefined,
      });
      setItems((o) => [...(o ?? []), ...p.items]);
      setNext(p.nextCursor);
    } catch (e) {
      setError(errorText(e));
    }
  };

  const markedRead = useCallback((id: string) => {
    const at = new Date().toISOString();
    setItems((old) => old?.map((n) => (n.id === id ? { ...n, readAt: at } : n)) ?? null);
  }, []);

  const readAll = async () => {
    try {
      const r = await api.post<{ marked: number }>('/api/v1/notifications/read-all');
      setTick((t) => t + 1);
      toast({ text: r.marked === 1 ? 'One notification marked read' : `${r.marked} notifications marked read` });
    } catch (e) {
      toast({ text: errorText(e), kind: 'error' });
    }
  };

  return (
    <section className="inbox">
      <h1 tabIndex={-1}>Inbox</h1>
      <div className="toolbar">
        <label>
          <input type="checkbox" checked={unreadOnly} onChange={(e) => setUnreadOnly(e.target.checked)} /> Unread only
        </label>
        <button type="button" onClick={() => void readAll()}>
          Mark all read
        </button>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {items === null && !error && <p className="loading">Loading…</p>}
      {items?.length === 0 && <p className="empty">{unreadOnly ? 'Nothing unread.' : 'No notifications yet.'}</p>}
      {items && items.length > 0 && (
        <ul className="notifications" aria-label="Notifications">
          {items.map((n) => (
            <NotificationItem key={n.id} n={n} onRead={markedRead} />
          ))}
        </ul>
      )}
      {next && (
        <button type="button" onClick={() => void more()}>
          More notifications
        </button>
      )}
      <EmailChoices />
    </section>
  );
}

/** Which kinds of notification also arrive by email (per user; none by default). */
function EmailChoices() {
  const toast = useToast();
  const [kinds, setKinds] = useState<Kind[] | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api.get<EmailPreferences>('/api/v1/notifications/email-preferences').then(
      (p) => setKinds(p.emailKinds),
      () => setKinds([]),
    );
  }, []);
  if (kinds === null) return null;
  const save = async () => {
    setBusy(true);
    try {
      const saved = await api.put<EmailPreferences>('/api/v1/notifications/email-preferences', { emailKinds: kinds });
      setKinds(saved.emailKinds);
      toast({ text: 'Email choices saved', kind: 'success' });
    } catch (e) {
      toast({ text: errorText(e), kind: 'error' });
    } finally {
      setBusy(false);
    }
  };
  return (
    <fieldset className="email-choices">
      <legend>Also email me when</legend>
      {(Object.keys(KIND_LABELS) as Kind[]).map((k) => (
        <label key={k}>
          <input
            type="checkbox"
            checked={kinds.includes(k)}
            onChange={(e) => setKinds(e.target.checked ? [...kinds, k] : kinds.filter((x) => x !== k))}
          />{' '}
          {KIND_LABELS[k]}
        </label>
      ))}
      <button type="button" onClick={() => void save()} disabled={busy}>
        Save email choices
      </button>
    </fieldset>
  );
}
