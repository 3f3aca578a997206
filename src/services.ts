import type { Config } from './config.js';
import type { Db } from './db/adapter.js';
import type { EventHub } from './events/hub.js';
import { AuthService } from './modules/users/auth-service.js';
import { UsersService } from './modules/users/service.js';
import { CasesService } from './modules/cases/service.js';
import { CaseSettingsService } from './modules/cases/settings-service.js';
import { CustomersService } from './modules/customers/service.js';

/**
 * Every module's service, built once per process. A module reads another
 * module's data through that module's service, never its tables.
 */
export interface Services {
  users: UsersService;
  auth: AuthService;
  /** Cases; `cases.followUps` and `cases.addFollowUp(actor, caseId, input, tx?)` for follow-ups. */
  cases: CasesService;
  caseSettings: CaseSettingsService;
  customers: CustomersService;
}

export function buildServices(db: Db, config: Config, _hub: EventHub): Services {
  const users = new UsersService(db, config);
  const auth = new AuthService(db, config, users);
  const cases = new CasesService(db, users);
  const caseSettings = new CaseSettingsService(db);
  const customers = new CustomersService(db, config);
  return { users, auth, customers, cases, caseSettings };
}
