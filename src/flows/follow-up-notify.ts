import type { Queryable } from '../db/adapter.js';
import { Invalid } from '../http/errors.js';
import type { FollowUpAdded } from '../modules/cases/followups-service.js';
import type { CasesService } from '../modules/cases/service.js';
import type { EmailService } from '../modules/email/service.js';
import type { UsersService } from '../modules/users/service.js';

interface FollowUpNotifyDeps {
  cases: CasesService;
  users: UsersService;
  email: EmailService;
  /** PUBLIC_URL: the console's address, for the staff's link to the case (none when unset). */
  publicUrl: string | undefined;
}

/**
 * The Notify option of a follow-up (docs/agent-workflow.md): the agent lists
 * addresses, and the follow-up is emailed to each of them through the
 * outbound mail path (kind `notification`, one message per address, so
 * nobody sees the others' addresses), queued in the follow-up's transaction.
 *
 * The rule for internal follow-ups: they go to staff only. Every address of
 * an internal follow-up must be an active staff member's; one that is not is
 * refused (400 naming `notify`) and nothing is written. Public follow-ups may
 * go to any address (the customer, their contacts, colleagues).
 */
export class FollowUpNotifyFlow {
  constructor(private readonly deps: FollowUpNotifyDeps) {
    deps.cases.followUps.notifier = {
      check: (visibility, addresses, tx) => this.check(visibility, addresses, tx),
      send: (added, tx) => this.send(added, tx),
    };
  }

  async check(visibility: 'public' | 'internal', addresses: string[], tx?: Queryable): Promise<void> {
    if (visibility !== 'internal') return;
    const staff = await this.deps.users.activeIdsByEmail(addresses, tx);
    const outside = addresses.filter((a) => !staff.has(a.toLowerCase()));
    if (outside.length > 0) {
      throw new Invalid([
        {
          field: 'notify',
          message:
            `an internal follow-up can be sent to staff members only; ${outside.join(', ')} ` +
            `${outside.length === 1 ? 'is not a staff member' : 'are not staff members'}. ` +
            'Make the follow-up public to send it to the customer',
        },
      ]);
    }
  }

  async send(added: FollowUpAdded, tx?: Queryable): Promise<void> {
    const { followUp: fu, case: kase } = added;
    const internal = fu.visibility === 'internal';
    const staff = internal ? null : await this.deps.users.activeIdsByEmail(fu.notified, tx);
    const base = this.deps.publicUrl?.replace(/\/+$/, '');
    // The case number in brackets lets an answer by email find its case (docs/email-and-support-center.md).
    const subject = internal
      ? `Internal note on case ${kase.caseNumber}: ${kase.subject} [#${kase.caseNumber}]`
      : `${kase.subject} [#${kase.caseNumber}]`;
    for (const to of fu.notified) {
      const isStaff = internal || staff!.has(to.toLowerCase());
      const lines = [`${fu.author.name} wrote on case ${kase.caseNumber}:`, '', fu.body, ''];
      if (isStaff && base) lines.push(`Open the case: ${base}/cases/${kase.id}`, '');
      if (internal) lines.push('This is an internal note: do not forward it to the customer.');
      await this.deps.email.enqueue(
        {
          kind: 'notification',
          to: [to],
          subject: subject.length > 900 ? `${subject.slice(0, 880)}… [#${kase.caseNumber}]` : subject,
          body: lines.join('\n').trimEnd(),
          caseId: kase.id,
          followUpId: fu.id,
        },
        tx,
      );
    }
  }
}
