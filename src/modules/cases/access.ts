import type { Queryable } from '../../db/adapter.js';
import { type Actor, can, requirePrivilege, systemActor } from '../../http/actor.js';
import { NotFound } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import type { Privilege } from '../../http/privileges.js';
import { findCaseWithFollowUps } from './followups-store.js';
import { findCase, type CaseRow } from './store.js';

/** Record-level access to cases: a private case does not exist for users without cases.viewPrivate. */

function canSeeCase(actor: Actor, row: Pick<CaseRow, 'visibility'>): boolean {
  return row.visibility === 'public' || can(actor, 'cases.viewPrivate');
}

/** The case, when it exists and the actor may see it; else 404 (never 403: a private case's existence is private). */
export async function visibleCase(q: Queryable, actor: Actor, id: string, forUpdate = false): Promise<CaseRow> {
  requirePrivilege(actor, 'cases.view');
  const row = isUuid(id) ? await findCase(q, id, forUpdate) : null;
  if (!row || !canSeeCase(actor, row)) throw new NotFound('Case');
  return row;
}

/** The case view: the visible case (as visibleCase) with its newest `limit` follow-ups, in one statement. */
export async function visibleCaseWithFollowUps(q: Queryable, actor: Actor, id: string, limit: number) {
  requirePrivilege(actor, 'cases.view');
  const found = isUuid(id) ? await findCaseWithFollowUps(q, id, limit) : null;
  if (!found || !canSeeCase(actor, found.row)) throw new NotFound('Case');
  return found;
}

/** The privileges a broadcast about this case needs: private cases go only to those who may see them. */
export function caseAudience(row: Pick<CaseRow, 'visibility'>): Privilege | Privilege[] {
  return row.visibility === 'private' ? ['cases.view', 'cases.viewPrivate'] : 'cases.view';
}

/** The customer existence check cases use, read through the customers module's service (services.ts wires it). */
export function customerCheck(customers: {
  summaries(actor: Actor, ids: string[]): Promise<unknown[]>;
}): (customerId: string) => Promise<boolean> {
  return async (id) => (await customers.summaries(systemActor(), [id])).length > 0;
}

/**
 * Whether the actor may read internal follow-ups (and so find a case through one):
 * staff who see the case do, the Support Center (a customer, channel `portal`) never does.
 */
export function mayReadInternalFollowUps(actor: Actor): boolean {
  return can(actor, 'cases.view') && actor.channel !== 'portal';
}
