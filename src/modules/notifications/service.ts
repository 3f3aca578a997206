import { inTransaction, type Db, type Queryable } from '../../db/adapter.js';
import { emitEvents } from '../../events/outbox.js';
import type { Actor } from '../../http/actor.js';
import { Invalid, NotFound, Unauthenticated } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import { decodeCursor, keysetPage, type Page } from '../../http/pagination.js';
import type { EmailPreferences, Notification, NotificationListQuery } from './schema.js';
import {
  countUnread,
  emailKindsOf,
  existsFor,
  insertNotifications,
  listNotifications,
  markRead,
  setEmailKinds,
  toNotification,
  type NewNotification,
} from './store.js';

/**
 * The per-user notification inbox: notifications are rows that wait until
 * their user reads them, and each is also sent live (notification.created) to
 * the user's open consoles. Other modules' events reach it through flows
 * (src/flows/assignment-notices.ts), in the transaction of the change.
 */
export class NotificationsService {
  constructor(private readonly db: Db) {}

  /** Stores notifications and their live events, in the caller's transaction. */
  async notify(items: NewNotification[], tx?: Queryable): Promise<Notification[]> {
    if (items.length === 0) return [];
    return inTransaction(this.db, tx, async (q) => {
      const rows = await insertNotifications(q, items);
      const out = rows.map(toNotification);
      if (this.onNotified)
        await this.onNotified(
          rows.map((r, i) => ({ userId: r.user_id, notification: out[i] })),
          q,
        );
      await emitEvents(
        q,
        rows.map((r, i) => ({
          type: 'notification.created' as const,
          userId: r.user_id,
          ...(r.record_type ? { recordType: r.record_type } : {}),
          ...(r.record_id ? { recordId: r.record_id } : {}),
          payload: { notification: out[i] },
        })),
      );
      return out;
    });
  }

  /**
   * Set by services.ts to the notification mail flow (src/flows/notification-mail.ts):
   * called in the transaction of every notification written, to email the kinds their users chose.
   */
  onNotified: ((written: { userId: string; notification: Notification }[], tx: Queryable) => Promise<void>) | null =
    null;

  /** The kinds of notification I also get by email. */
  async emailPreferences(actor: Actor): Promise<EmailPreferences> {
    const userId = this.userOf(actor);
    return { emailKinds: (await emailKindsOf(this.db, [userId])).get(userId) ?? [] };
  }

  async setEmailPreferences(actor: Actor, input: EmailPreferences, tx?: Queryable): Promise<EmailPreferences> {
    const userId = this.userOf(actor);
    const kinds = [...new Set(input.emailKinds)];
    await inTransaction(this.db, tx, (q) => setEmailKinds(q, userId, kinds));
    return { emailKinds: kinds };
  }

  /** For the mail flow: the kinds each user chose (in the notifying transaction). */
  async emailKindsOf(userIds: string[], tx?: Queryable): Promise<Map<string, string[]>> {
    return emailKindsOf(tx ?? this.db, [...new Set(userIds)]);
  }

  async list(actor: Actor, query: NotificationListQuery): Promise<Page<Notification>> {
    const userId = this.userOf(actor);
    const limit = query.limit ?? 50;
    let beforeSeq: number | null = null;
    if (query.cursor) {
      const [seq] = decodeCursor(query.cursor, ['number']) as [number];
      if (!Number.isSafeInteger(seq)) throw new Invalid([{ field: 'cursor', message: 'not a cursor from this list' }]);
      beforeSeq = seq;
    }
    const rows = await listNotifications(this.db, userId, {
      beforeSeq,
      unread: query.unread === true,
      limit: limit + 1,
    });
    return keysetPage(rows, limit, (last) => [last.seq], toNotification);
  }

  async unreadCount(actor: Actor): Promise<number> {
    return countUnread(this.db, this.userOf(actor));
  }

  /** Marks one of the caller's notifications read (404 for anyone else's). */
  async markRead(actor: Actor, id: string, tx?: Queryable): Promise<number> {
    const userId = this.userOf(actor);
    return inTransaction(this.db, tx, async (q) => {
      if (!isUuid(id) || !(await existsFor(q, userId, id))) throw new NotFound('Notification');
      const n = await markRead(q, userId, id);
      if (n > 0) await this.announceRead(q, userId);
      return n;
    });
  }

  async markAllRead(actor: Actor, tx?: Queryable): Promise<number> {
    const userId = this.userOf(actor);
    return inTransaction(this.db, tx, async (q) => {
      const n = await markRead(q, userId, null);
      if (n > 0) await this.announceRead(q, userId);
      return n;
    });
  }

  /** The user's other consoles update their unread count. */
  private async announceRead(q: Queryable, userId: string): Promise<void> {
    const unread = await countUnread(q, userId);
    await emitEvents(q, [{ type: 'notification.read', userId, payload: { unread } }]);
  }

  private userOf(actor: Actor): string {
    if (!actor.userId) throw new Unauthenticated();
    return actor.userId;
  }
}
