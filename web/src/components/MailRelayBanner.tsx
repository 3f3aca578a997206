import { useEffect, useState } from 'react';
import { api } from '../api.js';
import { formatDateTime } from '../format.js';
import { live } from '../live.js';
import { Link, useLocation } from '../router.js';
import { useSession } from '../session.js';
import type { EmailStatus } from '../apiTypes.js';

/**
 * For administrators: a banner that stays while no mail relay is configured
 * (SMTP_RELAY_URL), so replies, Support Center sign-in details and password
 * resets are not silently left in the outbox. It shows the outbox's state and
 * is read again on every screen change and when a delivery moves on.
 */
export function MailRelayBanner() {
  const { can } = useSession();
  const admin = can('admin');
  const { path } = useLocation();
  const [status, setStatus] = useState<EmailStatus | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => (admin ? live.on('email.delivery', () => setTick((t) => t + 1)) : undefined), [admin]);
  // Replies and sign-in details queue without any event to the administrator: look again now and then.
  useEffect(() => {
    if (!admin) return;
    const timer = setInterval(() => setTick((t) => t + 1), 30_000);
    return () => clearInterval(timer);
  }, [admin]);
  useEffect(() => {
    if (!admin) return;
    const ctl = new AbortController();
    api.get<EmailStatus>('/api/v1/email/status', undefined, ctl.signal).then(setStatus, () => {
      // Status unknown (offline, or an older server): say nothing rather than something wrong.
    });
    return () => ctl.abort();
  }, [admin, path, tick]);

  if (!admin || !status || status.relayConfigured) return null;
  const { queued, sent, failed } = status.outbox;
  return (
    <div className="mail-banner" role="region" aria-label="Mail relay warning">
      <p>
        <strong>No mail relay is configured, so no email leaves Switchboard.</strong> Replies, sign-in details and
        password resets stay in the outbox until <code>SMTP_RELAY_URL</code> is set (docs/email-and-support-center.md,
        “Email out”).
      </p>
      <p>
        Outbox: {queued} queued
        {status.oldestQueuedAt ? ` (oldest ${formatDateTime(status.oldestQueuedAt)})` : ''}, {sent} sent, {failed}{' '}
        failed. <Link to="/admin/email">See the outbox</Link>
      </p>
    </div>
  );
}
