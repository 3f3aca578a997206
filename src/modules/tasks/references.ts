import { systemActor, type Actor } from '../../http/actor.js';
import { AppError } from '../../http/errors.js';
import type { CasesService } from '../cases/service.js';
import type { CustomersService } from '../customers/service.js';
import type { TaskReferences } from './service.js';

/** A 404 or 403 from another module's service means "not there (for this actor)". */
function notThere(err: unknown): boolean {
  return err instanceof AppError && (err.status === 404 || err.status === 403);
}

/** What tasks check about customers and cases, read through those modules' services. */
export function taskReferences(deps: { customers: CustomersService; cases: CasesService }): TaskReferences {
  return {
    async customerExists(id: string): Promise<boolean> {
      return (await deps.customers.summaries(systemActor(), [id])).length > 0;
    },
    async caseCustomer(actor: Actor, id: string): Promise<string | null> {
      try {
        return (await deps.cases.get(actor, id)).customerId;
      } catch (err) {
        if (notThere(err)) return null;
        throw err;
      }
    },
  };
}
