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
    <div className="mail-banner" role="region" aria-label="Outgoing email">
      <p>
        <strong>No mail relay is configured, so no email leaves Switchboard.</strong> Replies to customers, Support
        Center sign-in details and password resets stay queued until a relay is set with <code>SMTP_RELAY_URL</code>{' '}
        (see “Email out” in the email and Support Center guide, docs/email-and-support-center.md).
      </p>
      <p>
        Outbox: {queued} queued
        {status.oldestQueuedAt ? ` (oldest ${formatDateTime(status.oldestQueuedAt)})` : ''}, {sent} sent, {failed}{' '}
        failed. <Link to="/admin/email">Open Admin → Email</Link>
      </p>
    </div>
  );
}
