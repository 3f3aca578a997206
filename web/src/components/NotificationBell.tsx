import { useCallback, useEffect, useState } from 'react';
import { api } from '../api.js';
import { live } from '../live.js';
import { Link } from '../router.js';

/**
 * The header's inbox link with the unread count: read once, then kept live by
 * the events channel (notification.created adds one; notification.read,
 * sent when any of my consoles marks some read, carries the new count), and
 * read again whenever the channel (re)connects, for what it missed.
 */
export function NotificationBell() {
  const [unread, setUnread] = useState(0);
  const refresh = useCallback(() => {
    api.get<{ unread: number }>('/api/v1/notifications/unread-count').then(
      (r) => setUnread(r.unread),
      () => undefined,
    );
  }, []);
  useEffect(() => refresh(), [refresh]);
  useEffect(
    () =>
      live.onStatus((s) => {
        if (s === 'live') refresh();
      }),
    [refresh],
  );
  useEffect(
    () =>
      live.on(['notification.created', 'notification.read'], (e) => {
        if (e.type === 'notification.read') setUnread(e.unread);
        else setUnread((n) => n + 1);
      }),
    [],
  );
  return (
    <Link to="/inbox" className="inbox-link" data-unread={unread}>
      Inbox
      {unread > 0 && (
        <>
          {' '}
          <span className="count-badge">{unread > 99 ? '99+' : unread}</span>
          <span className="sr-only"> unread</span>
        </>
      )}
    </Link>
  );
}
