import type { Queryable } from '../db/adapter.js';
import type { Actor } from '../http/actor.js';
import type { Case } from '../modules/cases/schema.js';
import type { FollowUpAdded } from '../modules/cases/followups-service.js';
import type { CasesService } from '../modules/cases/service.js';
import type { NotificationsService } from '../modules/notifications/service.js';
import type { NewNotification } from '../modules/notifications/store.js';
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

  /** A reply from the customer (email in, Support Center) on a case notifies its owner (case.reply). */
  async followUpAdded(added: FollowUpAdded, tx?: Queryable): Promise<void> {
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
