import type { Db, Queryable } from '../db/adapter.js';
import { inTransaction } from '../db/adapter.js';
import { type Actor, requirePrivilege } from '../http/actor.js';
import { Invalid, NotFound } from '../http/errors.js';
import { isUuid } from '../http/ids.js';
import { CustomerMergeSteps, type MergeBody, type MergeResult } from '../modules/customers/merge.js';
import type { Services } from '../services.js';

/** Thrown to roll a dry run back; carries its answer out of the transaction. */
class DryRun extends Error {
  constructor(readonly result: MergeResult) {
    super('dry run');
  }
}

/**
 * Merging two customers (`POST /api/v1/customers/{id}/merge`), a command that
 * spans modules: one transaction in which each module moves what it owns,
 * through its own service. The customers module locks and checks both
 * customers first and finishes last (phones, fields, the merged customer's
 * deletion, history and events: customers/merge.ts); in between the cases,
 * tasks, interactions and the Support Center account move to the survivor.
 * A dry run does all of it and rolls back. Any refusal rolls everything back.
 */
export class CustomerMergeFlow {
  private readonly customers: CustomerMergeSteps;

  constructor(
    private readonly db: Db,
    private readonly services: Pick<Services, 'cases' | 'tasks' | 'interactions' | 'portal'>,
  ) {
    this.customers = new CustomerMergeSteps(db);
  }

  async merge(actor: Actor, id: string, body: MergeBody, version: number, tx?: Queryable): Promise<MergeResult> {
    // Needs editing and deleting customers, and moving their cases and tasks (every default role
    // that may delete customers may do the rest); checked before anything changes.
    requirePrivilege(actor, 'customers.edit', 'customers.delete', 'cases.edit', 'tasks.edit');
    if (!isUuid(id)) throw new NotFound('Customer');
    const fromId = body.fromId.trim();
    if (fromId === id) throw new Invalid([{ field: 'fromId', message: 'A customer cannot be merged into itself.' }]);
    if (!isUuid(fromId)) throw new Invalid([{ field: 'fromId', message: 'no such customer' }]);
    try {
      return await inTransaction(this.db, tx, async (tx) => {
        const pair = await this.customers.lock(actor, id, body, version, tx);
        const portalAccount = await this.services.portal.moveToCustomer(actor, fromId, id, tx);
        const cases = await this.services.cases.moveToCustomer(actor, fromId, id, tx);
        const tasks = await this.services.tasks.moveToCustomer(actor, fromId, id, tx);
        const interactions = await this.services.interactions.moveToCustomer(actor, fromId, id, tx);
        const result = await this.customers.complete(
          actor,
          pair,
          body,
          { cases, tasks, interactions, portalAccount },
          tx,
        );
        if (body.dryRun) throw new DryRun(result);
        return result;
      });
    } catch (e) {
      if (e instanceof DryRun) return e.result;
      throw e;
    }
  }
}
