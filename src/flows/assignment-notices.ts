import type { Queryable } from '../db/adapter.js';
import type { Actor } from '../http/actor.js';
import type { Case } from '../modules/cases/schema.js';
import type { FollowUpAdded } from '../modules/cases/followups-service.js';
import type { CasesService } from '../modules/cases/service.js';
import type { NotificationsService } from '../modules/notifications/service.js';
import type { NewNotification } from '../modules/notifications/store.js';
import { can } from '../http/actor.js';
import { effectivePrivileges } from '../http/privileges.js';
import type { UsersService } from '../modules/users/service.js';

interface AssignmentNoticesDeps {
  cases: CasesService;
  users: UsersService;
  notifications: NotificationsService;
}

/**
 * Notifications that wait (docs/agent-workflow.md): a change of a case's owner
 * notifies the new owner (case.assigned, unless they took it themselves) and
 * the previous one (case.unassigned), and a customer's reply on a case
 * notifies its owner (case.reply), in the change's transaction. A user who
 * may not see a private case is not told about it.
 */
export class AssignmentNoticesFlow {
  constructor(private readonly deps: AssignmentNoticesDeps) {
    deps.cases.onOwnerChanged = (actor, after, from, tx) => this.ownerChanged(actor, after, from, tx);
    deps.cases.followUps.onAdded = (_actor, added, tx) => this.followUpAdded(added, tx);
  }

  /**
   * A reply from the customer (email in, Support Center) on a case notifies its
   * owner (case.reply); a staff member's internal note notifies the users it
   * mentions with `@handle` (mention).
   */
  async followUpAdded(added: FollowUpAdded, tx?: Queryable): Promise<void> {
    await this.mentions(added, tx);
    const { followUp, case: kase } = added;
    if (followUp.author.type !== 'customer' || !kase.ownerId) return;
    if (!(await this.mayBeTold(kase.ownerId, kase, tx))) return;
    await this.deps.notifications.notify(
      [
        {
          userId: kase.ownerId,
          kind: 'case.reply',
          recordType: 'case',
          recordId: kase.id,
          title: `${followUp.author.name} replied on case ${kase.caseNumber}`,
          payload: {
            caseNumber: kase.caseNumber,
            subject: kase.subject,
            followUpId: followUp.id,
            reopened: added.reopened,
          },
        },
      ],
      tx,
    );
  }

  /**
   * mention: an internal follow-up written by a staff member (not a call's or
   * chat's record) notifies each active user it names with `@handle` who may
   * see the case (cases.view, and cases.viewPrivate for a private case); the
   * author is not told about their own note.
   */
  private async mentions(added: FollowUpAdded, tx?: Queryable): Promise<void> {
    const { followUp, case: kase } = added;
    if (followUp.author.type !== 'user' || followUp.visibility !== 'internal' || followUp.interaction) return;
    const handles = mentionHandles(followUp.body);
    if (handles.length === 0) return;
    const items: NewNotification[] = [];
    for (const userId of await this.deps.users.activeIdsByHandle(handles, tx)) {
      if (userId === followUp.author.id) continue;
      const access = await this.deps.users.access(userId, tx);
      if (!access || !can(access, 'cases.view')) continue;
      if (kase.visibility === 'private' && !can(access, 'cases.viewPrivate')) continue;
      items.push({
        userId,
        kind: 'mention',
        recordType: 'case',
        recordId: kase.id,
        title: `${followUp.author.name} mentioned you on case ${kase.caseNumber}`,
        payload: {
          caseNumber: kase.caseNumber,
          subject: kase.subject,
          followUpId: followUp.id,
          by: followUp.author.name,
          excerpt: excerpt(followUp.body),
        },
      });
    }
    await this.deps.notifications.notify(items, tx);
  }

  /** An active user who may see the case. */
  private async mayBeTold(userId: string, kase: Case, tx?: Queryable): Promise<boolean> {
    const row = await this.deps.users.findRowById(userId, tx);
    if (!row || row.disabled) return false;
    return (
      kase.visibility !== 'private' ||
      effectivePrivileges(row.role, row.role_privileges, row.privileges).includes('cases.viewPrivate')
    );
  }

  async ownerChanged(actor: Actor, after: Case, from: string | null, tx?: Queryable): Promise<void> {
    const items: NewNotification[] = [];
    const payload = { caseNumber: after.caseNumber, subject: after.subject, by: actor.name };
    const add = async (userId: string, kind: 'case.assigned' | 'case.unassigned', title: string) => {
      if (userId === actor.userId) return;
      if (!(await this.mayBeTold(userId, after, tx))) return;
      items.push({ userId, kind, recordType: 'case', recordId: after.id, title, payload });
    };
    if (after.ownerId) await add(after.ownerId, 'case.assigned', `Case ${after.caseNumber} assigned to you`);
    if (from) await add(from, 'case.unassigned', `Case ${after.caseNumber} reassigned to someone else`);
    await this.deps.notifications.notify(items, tx);
  }
}

/** At most this many different handles of one note are looked up. */
const MAX_MENTIONS = 50;

/**
 * The `@handles` of a note, lower-cased: `@` at the start or after a character
 * that is not part of a word or an address (so `ada@example.com` is not one),
 * then letters, digits, `.`, `_` or `-`; a trailing `.`, `_` or `-` is the
 * sentence's, not the handle's.
 */
function mentionHandles(body: string): string[] {
  const out = new Set<string>();
  for (const m of body.matchAll(/(?<![\p{L}\p{N}_.@+-])@([\p{L}\p{N}][\p{L}\p{N}._-]{0,99})/gu)) {
    const handle = m[1].replace(/[._-]+$/, '').toLowerCase();
    if (handle) out.add(handle);
    if (out.size >= MAX_MENTIONS) break;
  }
  return [...out];
}

/** The start of a note, on one line, for the inbox. */
function excerpt(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > 140 ? `${flat.slice(0, 139)}…` : flat;
}
