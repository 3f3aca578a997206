import { formatContactAddress } from '../../formats/contact-address.js';
import type { Config } from '../../config.js';
import type { Db } from '../../db/adapter.js';
import { type Actor, requirePrivilege } from '../../http/actor.js';
import { Conflict, Invalid, NotFound, PreconditionRequired } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import type { TaskCreate } from '../tasks/schema.js';
import { applyStateChange, changeOf, closedError, parseTime } from './rules.js';
import type { Interaction, InteractionPatch } from './schema.js';
import type { InteractionDeps, InteractionsService } from './service.js';
import { effectiveState, getInteraction, toInteraction, type InteractionRow } from './store.js';

/**
 * I4: the agent's wrap-up, and the platform's state reports, through PATCH.
 * While the interaction is open or in wrap-up: notes, disposition, the case,
 * a follow-on call (a call task with a reminder, created in the same
 * transaction through the tasks service), state changes. Once closed: 409.
 *
 * The agent's edits (notes, disposition, case) need the version read; a state
 * report alone (the platform saying the call ended) needs none and does not
 * bump the version, so the agent's form does not go stale when the call ends.
 */
export class WrapUp {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly deps: InteractionDeps,
    private readonly interactions: InteractionsService,
  ) {}

  async update(
    actor: Actor,
    id: string,
    patch: InteractionPatch,
    expectedVersion: number | null,
    now = new Date(),
  ): Promise<Interaction> {
    requirePrivilege(actor, 'customers.view');
    if (!isUuid(id)) throw new NotFound('Interaction');
    const edits = patch.notes !== undefined || patch.disposition !== undefined || patch.caseId !== undefined;
    if (edits && expectedVersion === null) throw new PreconditionRequired();
    const peek = await getInteraction(this.db, id);
    if (!peek) throw new NotFound('Interaction');

    // What reads other modules happens before the transaction (PGlite has one connection).
    const customerId = peek.customer_id;
    const caseId = patch.caseId === undefined ? undefined : patch.caseId;
    if (caseId) {
      if (!customerId)
        throw new Invalid([{ field: 'caseId', message: 'associate the interaction with a customer first' }]);
      await this.interactions.checkCase(actor, caseId, customerId);
    }
    let followOn: TaskCreate | null = null;
    if (patch.followOnCall) {
      requirePrivilege(actor, 'tasks.create');
      if (!customerId) {
        throw new Invalid([{ field: 'followOnCall', message: 'associate the interaction with a customer first' }]);
      }
      followOn = await this.followOnTask(actor, peek, patch.followOnCall, caseId === undefined ? peek.case_id : caseId);
    }

    const after = await this.db.transaction(async (tx) => {
      const before = await getInteraction(tx, id, true);
      if (!before) throw new NotFound('Interaction');
      if (effectiveState(before, now) === 'closed') {
        const onlyClosing = patch.state === 'closed' && !edits && !patch.followOnCall && patch.endedAt === undefined;
        if (onlyClosing) return before;
        throw closedError(before, now);
      }
      if (edits && expectedVersion !== before.version) throw Conflict.stale(toInteraction(before, now));
      if (before.customer_id !== customerId) throw Conflict.stale(toInteraction(before, now));

      const next = changeOf(before);
      applyStateChange(next, before, patch, now, this.config.wrapUpSeconds);
      if (patch.notes !== undefined)
        next.notes = patch.notes === null || patch.notes.trim() === '' ? null : patch.notes;
      if (patch.disposition !== undefined) next.disposition = patch.disposition;
      if (caseId !== undefined) next.caseId = caseId;
      next.edited =
        next.notes !== before.notes || next.disposition !== before.disposition || next.caseId !== before.case_id;
      if (followOn) {
        const task = await this.deps.tasks.create(actor, { ...followOn, caseId: next.caseId }, tx);
        next.followOnTaskId = task.id;
      }
      const unchanged =
        !next.edited &&
        next.state === before.state &&
        next.followOnTaskId === before.follow_on_task_id &&
        next.closedAt === before.closed_at;
      if (unchanged) return before;
      const action = next.state !== before.state ? stateAction(next.state) : 'update';
      return this.interactions.commit(actor, before, next, action, now, tx);
    });
    return toInteraction(after, now);
  }

  /** The follow-on call task's fields (checked here, outside the transaction). */
  private async followOnTask(
    actor: Actor,
    r: InteractionRow,
    call: NonNullable<InteractionPatch['followOnCall']>,
    caseId: string | null,
  ): Promise<TaskCreate> {
    const dueAt = parseTime(call.dueAt, 'followOnCall.dueAt');
    if (call.remindAt) {
      const remindAt = parseTime(call.remindAt, 'followOnCall.remindAt');
      if (remindAt.getTime() > dueAt.getTime()) {
        throw new Invalid([{ field: 'followOnCall.remindAt', message: 'is after the call is due' }]);
      }
    }
    let assigneeId = call.assigneeId === 'me' ? actor.userId : (call.assigneeId ?? r.agent_id ?? actor.userId);
    if (!assigneeId) throw new Invalid([{ field: 'followOnCall.assigneeId', message: 'required' }]);
    const user = isUuid(assigneeId) ? await this.deps.users.getIdentity(assigneeId) : null;
    if (!user || user.disabled) {
      throw new Invalid([{ field: 'followOnCall.assigneeId', message: 'no such active user' }]);
    }
    assigneeId = user.id;
    const address = r.direction === 'outbound' ? r.to_address : r.from_address;
    const who = address ? formatContactAddress(address) : null;
    return {
      type: 'call',
      subject: call.subject ?? `Follow-on call${who ? ` to ${who}` : ''}`,
      customerId: r.customer_id!,
      caseId,
      assigneeId,
      dueAt: dueAt.toISOString(),
      ...(call.remindAt !== undefined ? { remindAt: call.remindAt } : {}),
      notes: `Scheduled at the wrap-up of ${r.channel} interaction ${r.id}`,
    };
  }
}

function stateAction(state: string): string {
  if (state === 'wrap_up') return 'end';
  if (state === 'closed') return 'close';
  return 'answer';
}
