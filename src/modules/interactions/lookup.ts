import type { Config } from '../../config.js';
import type { Db } from '../../db/adapter.js';
import { Coalescer } from '../../db/coalesce.js';
import { type Actor, requirePrivilege } from '../../http/actor.js';
import { Invalid } from '../../http/errors.js';
import type { PhoneKeys } from '../customers/phones.js';
import { lookupMatchesByPhone, type MatchOptions, type MatchRow } from '../customers/screen-pop.js';
import { findMatches, matchOptions, type MatchInput, type PhoneMatcher } from './matching.js';
import type { LookupQuery, LookupResult } from './schema.js';

/**
 * External CRM sources of the pop (set by the crm-connectors flow). `active()`
 * answers from memory: with connectors off (the default) the lookup does no
 * other extra work.
 */
export interface ExternalLookupHook {
  active(): boolean;
  lookup(input: MatchInput, local: () => Promise<LookupResult>): Promise<LookupResult>;
}

/**
 * I5: `GET /lookup`, the platform's and the IVR's hot path. Concurrent phone
 * lookups share one screen-pop statement per event-loop turn (the Coalescer);
 * `POST /interactions` matches inside its own transaction instead (service.ts).
 */
export class InteractionLookup {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
  ) {}

  async lookup(actor: Actor, query: LookupQuery): Promise<LookupResult> {
    requirePrivilege(actor, 'customers.view');
    const input: MatchInput = {
      caseNumber: query.caseNumber,
      phone: query.phone,
      email: query.email,
      accountNumber: query.accountNumber,
    };
    if (Object.values(input).every((v) => v === undefined)) {
      throw new Invalid([{ field: 'phone', message: 'give a phone, an email, a caseNumber or an accountNumber' }]);
    }
    const external = this.external;
    if (external === null || !external.active()) {
      return findMatches(this.db, actor, input, this.config.defaultPhoneRegion, this.phoneMatcher);
    }
    return external.lookup(input, () =>
      findMatches(this.db, actor, input, this.config.defaultPhoneRegion, this.phoneMatcher),
    );
  }

  external: ExternalLookupHook | null = null;

  /**
   * What the external CRM sources say about a reported interaction's caller, by
   * the lookup order's rule (local then external: asked only when nothing local
   * matched), each within its budget; undefined when the order is local. Asked
   * before the report's transaction, so no database connection waits on a CRM.
   */
  async externalFor(actor: Actor, input: MatchInput): Promise<LookupResult['external']> {
    const hook = this.external;
    if (hook === null || !hook.active()) return undefined;
    const answer = await hook.lookup(input, () =>
      findMatches(this.db, actor, input, this.config.defaultPhoneRegion, this.phoneMatcher),
    );
    return answer.external;
  }

  /** Concurrent phone lookups, one statement per event-loop turn and view of cases. */
  private readonly phoneBatches = new Map<MatchOptions['cases'], Coalescer<MatchRow[], PhoneKeys>>();

  private readonly phoneMatcher: PhoneMatcher = (keys, cases) => {
    let batches = this.phoneBatches.get(cases);
    if (!batches) {
      const opts = matchOptions(cases);
      batches = new Coalescer<MatchRow[], PhoneKeys>(
        async (ids, keysList) => {
          const answers = await lookupMatchesByPhone(this.db, keysList, opts);
          return new Map(ids.map((id, i) => [id, answers[i]]));
        },
        () => [],
      );
      this.phoneBatches.set(cases, batches);
    }
    return batches.load(`${keys.e164 ?? ''}|${keys.suffixRev ?? ''}|${keys.storedRevs.join(',')}`, keys);
  };
}
