import type { Db } from '../../db/adapter.js';
import { type Actor, requirePrivilege } from '../../http/actor.js';
import { Invalid, NotFound } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import { decodeCursor, keysetPage, type Page } from '../../http/pagination.js';
import { listHistory, type HistoryEntry } from '../history/service.js';
import { isTimeZone } from '../tasks/time.js';
import { RECORD_TYPE } from './rules.js';
import { CHANNELS, type Interaction, type InteractionListQuery } from './schema.js';
import {
  getInteraction,
  listCustomerInteractions,
  listInteractions,
  toInteraction,
  type InteractionFilter,
} from './store.js';
import type { InteractionDeps } from './service.js';

/** Reading interactions back: the filtered list, a customer's log (I4) and one interaction's history. */
export class InteractionLists {
  constructor(
    private readonly db: Db,
    private readonly deps: Pick<InteractionDeps, 'customers'>,
  ) {}

  /** Every interaction, newest first, filtered (the reports' click-through lists). */
  async list(actor: Actor, query: InteractionListQuery, now = new Date()): Promise<Page<Interaction>> {
    requirePrivilege(actor, 'customers.view');
    const errors: { field: string; message: string }[] = [];
    const id = (v: string | undefined, field: string) => {
      if (v !== undefined && !isUuid(v)) errors.push({ field, message: 'not an id' });
      return v;
    };
    const f: InteractionFilter = {
      agentId: id(query.agentId, 'agentId'),
      customerId: id(query.customerId, 'customerId'),
      direction: query.direction,
      result: query.result,
      startedFrom: query.startedFrom,
      startedTo: query.startedTo,
      repeatWithinDays: query.repeatWithinDays,
      wrappedUp: query.wrappedUp,
    };
    if (query.channel !== undefined) {
      f.channels = [...new Set(query.channel.split(',').map((c) => c.trim()))].filter(Boolean);
      const bad = f.channels.find((c) => !(CHANNELS as readonly string[]).includes(c));
      if (bad) errors.push({ field: 'channel', message: `unknown channel "${bad}" (phone, chat or email)` });
    }
    const tz = query.tz ?? 'UTC';
    if (!isTimeZone(tz)) errors.push({ field: 'tz', message: 'not an IANA time zone' });
    if (query.hour !== undefined) f.hour = { hour: query.hour, tz };
    let after: [string, string] | null = null;
    if (query.cursor) {
      const [at, cid] = decodeCursor(query.cursor, ['date', 'string']) as [string, string];
      if (!isUuid(cid)) errors.push({ field: 'cursor', message: 'not a cursor from this list' });
      after = [at, cid];
    }
    if (errors.length) throw new Invalid(errors);
    const limit = query.limit ?? 50;
    const rows = await listInteractions(this.db, f, after, limit + 1);
    return keysetPage(
      rows,
      limit,
      (last) => [last.started_key, last.id],
      (r) => toInteraction(r, now),
    );
  }

  /** I4: the customer's interaction log, newest first. */
  async listForCustomer(
    actor: Actor,
    customerId: string,
    page: { limit: number; cursor?: string },
    now = new Date(),
  ): Promise<Page<Interaction>> {
    requirePrivilege(actor, 'customers.view');
    if (!isUuid(customerId)) throw new NotFound('Customer');
    let after: [string, string] | null = null;
    if (page.cursor) {
      const [at, id] = decodeCursor(page.cursor, ['date', 'string']) as [string, string];
      if (!isUuid(id)) throw new Invalid([{ field: 'cursor', message: 'not a cursor from this list' }]);
      after = [at, id];
    }
    const rows = await listCustomerInteractions(this.db, customerId, after, page.limit + 1);
    if (rows.length === 0 && !page.cursor && (await this.deps.customers.summaries(actor, [customerId])).length === 0) {
      throw new NotFound('Customer');
    }
    return keysetPage(
      rows,
      page.limit,
      (last) => [last.started_key, last.id],
      (r) => toInteraction(r, now),
    );
  }

  async history(actor: Actor, id: string, page: { limit: number; cursor?: string }): Promise<Page<HistoryEntry>> {
    requirePrivilege(actor, 'customers.view');
    if (!isUuid(id) || !(await getInteraction(this.db, id))) throw new NotFound('Interaction');
    return listHistory(this.db, RECORD_TYPE, id, page);
  }
}
