import type { Queryable } from '../db/adapter.js';
import type { EmailService } from '../modules/email/service.js';
import type { Notification } from '../modules/notifications/schema.js';
import type { NotificationsService } from '../modules/notifications/service.js';
import type { UsersService } from '../modules/users/service.js';

interface NotificationMailDeps {
  notifications: NotificationsService;
  users: UsersService;
  email: EmailService;
  /** PUBLIC_URL: the console's address, for the link in the mail (none when unset). */
  publicUrl: string | undefined;
}

/** Where a notification leads in the console (the same rule as web/src/screens/Inbox.tsx). */
function consolePath(n: Pick<Notification, 'recordType' | 'recordId' | 'payload'>): string | null {
  if (n.recordType === 'case' && n.recordId) return `/cases/${n.recordId}`;
  if (n.recordType === 'task') return '/tasks';
  if (n.recordType === 'job') return n.payload.jobKind === 'import' ? '/admin/import' : '/downloads';
  return null;
}

/**
 * Notifications by email (docs/agent-workflow.md): each user chooses the
 * kinds they also want by email; a notification of such a kind is queued on
 * the outbound mail path (kind `notification`) in the transaction that wrote
 * it, so the mail leaves only if the cause commits. Disabled users get none.
 */
export class NotificationMailFlow {
  constructor(private readonly deps: NotificationMailDeps) {
    deps.notifications.onNotified = (written, tx) => this.mail(written, tx);
  }

  async mail(written: { userId: string; notification: Notification }[], tx?: Queryable): Promise<void> {
    const chosen = await this.deps.notifications.emailKindsOf(
      written.map((w) => w.userId),
      tx,
    );
    for (const { userId, notification: n } of written) {
      if (!chosen.get(userId)?.includes(n.kind)) continue;
      const user = await this.deps.users.findRowById(userId, tx);
      if (!user || user.disabled) continue;
      const path = consolePath(n);
      const base = this.deps.publicUrl?.replace(/\/+$/, '');
      const lines = [n.title, ''];
      if (path && base) lines.push(`Open it in Switchboard: ${base}${path}`, '');
      lines.push('You get this email because you chose this kind of notification in My account.');
      await this.deps.email.enqueue(
        { kind: 'notification', to: [user.email], subject: n.title, body: lines.join('\n') },
        tx,
      );
    }
  }
}
