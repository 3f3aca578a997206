import type { NewEvent } from '../../events/outbox.js';
import type { Actor } from '../../http/actor.js';
import { Conflict, Invalid } from '../../http/errors.js';
import type { InteractionPatch } from './schema.js';
import { type InteractionChange, type InteractionRow, toInteraction } from './store.js';

/**
 * The interaction's lifecycle, pure: ringing → active → wrap_up → closed.
 * Ending starts the wrap-up (WRAP_UP_SECONDS from the end); when it is over
 * the interaction is closed and its notes are read-only.
 */

export const RECORD_TYPE = 'interaction';
/** How far in the future a reported time may be (clock skew between the platform and us). */
export const CLOCK_SKEW_MS = 5 * 60_000;

export function changeOf(r: InteractionRow): InteractionChange {
  return {
    customerId: r.customer_id,
    caseId: r.case_id,
    state: r.state,
    endedAt: r.ended_at,
    wrapUpUntil: r.wrap_up_until,
    closedAt: r.closed_at,
    notes: r.notes,
    disposition: r.disposition,
    followOnTaskId: r.follow_on_task_id,
    edited: false,
  };
}

/** The fields the history of changes shows. */
export function historyView(r: InteractionRow): Record<string, unknown> {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    reference: r.reference,
    channel: r.channel,
    direction: r.direction,
    from: r.from_address,
    to: r.to_address,
    caseNumber: r.case_number_given,
    agentId: r.agent_id,
    result: r.match_result,
    customerId: r.customer_id,
    caseId: r.case_id,
    state: r.state,
    startedAt: iso(r.started_at),
    endedAt: iso(r.ended_at),
    closedAt: iso(r.closed_at),
    notes: r.notes,
    disposition: r.disposition,
    followOnTaskId: r.follow_on_task_id,
  };
}

/** 409: the wrap-up is over (or the interaction was closed): nothing about it changes any more. */
export function closedError(r: InteractionRow, now: Date): Conflict {
  const at = r.closed_at ?? r.wrap_up_until ?? now;
  return new Conflict(
    `The interaction was closed at ${at.toISOString()} (its wrap-up period is over): its notes are read-only`,
    { errors: [{ field: 'notes', message: 'read-only: the interaction is closed' }] },
  );
}

export function parseTime(value: string, field: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new Invalid([{ field, message: 'not a valid time' }]);
  return d;
}

/**
 * Applies a PATCH's state change (state / endedAt) to `next`. Moving back is
 * refused; repeating a step (a platform's retry) is a no-op.
 */
export function applyStateChange(
  next: InteractionChange,
  before: InteractionRow,
  patch: Pick<InteractionPatch, 'state' | 'endedAt'>,
  now: Date,
  wrapUpSeconds: number,
): void {
  const wanted = patch.state ?? (patch.endedAt !== undefined ? 'ended' : undefined);
  if (wanted === undefined) return;
  let endedAt: Date | null = null;
  if (patch.endedAt !== undefined) {
    endedAt = parseTime(patch.endedAt, 'endedAt');
    if (endedAt.getTime() < before.started_at.getTime()) {
      throw new Invalid([{ field: 'endedAt', message: 'is before the interaction started' }]);
    }
    if (endedAt.getTime() > now.getTime() + CLOCK_SKEW_MS) {
      throw new Invalid([{ field: 'endedAt', message: 'cannot be in the future' }]);
    }
  }
  const ended = before.state === 'wrap_up' || before.state === 'closed';
  if (wanted === 'active') {
    if (ended) throw new Conflict('The interaction has ended; it cannot become active again');
    next.state = 'active';
    return;
  }
  if (!ended) {
    next.endedAt = endedAt ?? now;
    next.wrapUpUntil = new Date(next.endedAt.getTime() + wrapUpSeconds * 1000);
    next.state = 'wrap_up';
  }
  if (wanted === 'closed') {
    next.state = 'closed';
    next.closedAt = now;
  } else if (next.state === 'wrap_up' && next.wrapUpUntil && next.wrapUpUntil.getTime() <= now.getTime()) {
    // Reported after the wrap-up period was already over (or there is none): closed at its end.
    next.state = 'closed';
    next.closedAt = next.wrapUpUntil;
  }
}

/** The live events of a change: the agent's console updates its pop; open customer records refresh. */
export function changeEvents(
  actor: Actor,
  after: InteractionRow,
  type: 'interaction.updated' | 'interaction.closed',
  now: Date,
): NewEvent[] {
  const events: NewEvent[] = [];
  if (after.agent_id) {
    events.push({
      type,
      userId: after.agent_id,
      recordType: RECORD_TYPE,
      recordId: after.id,
      requires: 'customers.view',
      payload: { interaction: toInteraction(after, now), by: actor.userId },
    });
  }
  events.push(...recordChanged(after, type));
  return events;
}

/** The broadcast that a customer's interactions changed (the customer record's log refreshes); none while unmatched. */
export function recordChanged(
  after: InteractionRow,
  action: 'interaction.created' | 'interaction.updated' | 'interaction.closed',
): NewEvent[] {
  if (!after.customer_id) return [];
  return [
    {
      type: 'record.changed',
      recordType: RECORD_TYPE,
      recordId: after.id,
      requires: 'customers.view',
      payload: { action, customerId: after.customer_id, version: after.version },
    },
  ];
}
