import type { Clock } from '../../clock.js';
import type { Db } from '../../db/adapter.js';
import { tagFilterOf } from '../../formats/tags.js';
import { type Actor, can, requirePrivilege } from '../../http/actor.js';
import { Invalid, NotFound } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import { decodeCursor, keysetPage, type Page } from '../../http/pagination.js';
import { customFieldConditions, customFieldSearchCondition, hasCustomFieldFilters } from '../custom-fields/filters.js';
import { visibleCase } from './access.js';
import type { Case, CaseListQuery, CaseSort, CaseUnitary, CustomerCasesQuery } from './schema.js';
import { statusInfo } from './settings-store.js';
import * as store from './store.js';
import type { CaseFilter, CaseRow } from './store.js';

/** How far the unitary view counts a customer's cases. */
const UNITARY_CAP = 10_000;

/**
 * Case lists (K4): filters, full-text search, sorts and keyset pagination, and
 * the customer record's cases (table and unitary view). Private cases are left
 * out for users without cases.viewPrivate.
 */
export class CaseLists {
  constructor(
    private readonly db: Db,
    private readonly customerExists: () => ((id: string) => Promise<boolean>) | null,
    private readonly clock: Clock,
  ) {}

  async list(actor: Actor, query: CaseListQuery): Promise<Page<Case>> {
    const filter = await this.filterOf(actor, query);
    if (!filter) return { items: [], nextCursor: null };
    return this.page(filter, query.sort ?? '-openedAt', query.limit ?? 50, query.cursor);
  }

  /**
   * How many cases the list with these filters would show the caller, counted up to `cap`
   * (saved views' counts): the same filter as `list`, private cases included only with
   * cases.viewPrivate.
   */
  async count(actor: Actor, query: CaseListQuery, cap: number): Promise<number> {
    const filter = await this.filterOf(actor, query);
    if (!filter) return 0;
    return store.countCases(this.db, filter, cap);
  }

  /** The list's filter for the caller (their visibility of private cases, then each query filter); null: none match. */
  private async filterOf(actor: Actor, query: CaseListQuery): Promise<CaseFilter | null> {
    requirePrivilege(actor, 'cases.view');
    const filter: CaseFilter = { publicOnly: !can(actor, 'cases.viewPrivate') };
    if (query.caseNumber !== undefined) filter.caseNumber = query.caseNumber;
    if (query.customerId !== undefined) {
      if (!isUuid(query.customerId)) return null;
      filter.customerId = query.customerId;
    }
    if (query.ownerId !== undefined) {
      if (query.ownerId === 'me') {
        if (!actor.userId) throw new Invalid([{ field: 'ownerId', message: '"me" needs a signed-in user' }]);
        filter.ownerId = actor.userId;
      } else if (query.ownerId === 'none') filter.ownerId = null;
      else if (isUuid(query.ownerId)) filter.ownerId = query.ownerId;
      else throw new Invalid([{ field: 'ownerId', message: 'a user id, "me" or "none"' }]);
    }
    if (query.status !== undefined) filter.status = await this.statusFilter(query.status);
    if (query.priority !== undefined) filter.priorities = csv(query.priority);
    if (query.severity !== undefined) filter.severities = csv(query.severity);
    if (query.visibility !== undefined) filter.visibility = query.visibility;
    if (query.q !== undefined && query.q.trim() !== '') filter.q = query.q.trim();
    filter.openedFrom = query.createdFrom;
    filter.openedTo = query.createdTo;
    filter.updatedFrom = query.updatedFrom;
    filter.updatedTo = query.updatedTo;
    if (query.notUpdatedForDays !== undefined) {
      filter.updatedBefore = new Date(this.clock.now().getTime() - query.notUpdatedForDays * 86_400_000);
    }
    if (query.channel !== undefined) filter.channels = csv(query.channel);
    filter.closedFrom = query.closedFrom;
    filter.closedTo = query.closedTo;
    filter.reopenedFrom = query.reopenedFrom;
    filter.reopenedTo = query.reopenedTo;
    filter.reopened = query.reopened;
    filter.responded = query.responded;
    filter.staffResponses = query.staffResponses;
    filter.tags = tagFilterOf(query.tag);
    const raw = query as Record<string, unknown>;
    if (hasCustomFieldFilters(raw) || filter.q) {
      const cf = await customFieldConditions(this.db, 'case', raw, { alias: 'c' });
      const params = [...cf.params];
      const search = filter.q
        ? await customFieldSearchCondition(this.db, 'case', filter.q, { alias: 'c', firstParam: params.length + 1 })
        : null;
      if (search) params.push(...search.params);
      if (cf.sql || search) {
        filter.custom = { conditions: cf.sql ? [cf.sql] : [], searchOr: search?.sql ?? null, params };
      }
    }
    return filter;
  }

  async page(filter: CaseFilter, sort: CaseSort, limit: number, cursor?: string): Promise<Page<Case>> {
    let after: [string | number, string] | null = null;
    if (cursor) {
      const kind = store.sortKind(sort);
      const c = decodeCursor(cursor, ['string', kind === 'date' ? 'date' : 'number', 'string']);
      if (c[0] !== sort || !isUuid(c[2]))
        throw new Invalid([{ field: 'cursor', message: 'not a cursor from this list' }]);
      after = [c[1] as string | number, c[2] as string];
    }
    const rows = await store.listCases(this.db, filter, sort, after, limit + 1);
    return keysetPage(
      rows,
      limit,
      (last) => [sort, last.key, last.row.id],
      (r) => store.toCaseFromText(r.row),
    );
  }

  /** The customer record's cases: a table page, or one case at a time (unitary view) with its position. */
  async customerCases(actor: Actor, customerId: string, query: CustomerCasesQuery): Promise<Page<Case> | CaseUnitary> {
    requirePrivilege(actor, 'cases.view');
    if (!isUuid(customerId)) throw new NotFound('Customer');
    // A customer with cases exists (foreign key): the customers module is asked only when there are none.
    const mustExist = async () => {
      const exists = this.customerExists();
      if (exists && !(await exists(customerId))) throw new NotFound('Customer');
    };
    const filter: CaseFilter = { publicOnly: !can(actor, 'cases.viewPrivate'), customerId };
    if (query.status !== undefined) filter.status = await this.statusFilter(query.status);
    if (query.position === undefined && query.caseId === undefined) {
      const page = await this.page(filter, '-openedAt', query.limit ?? 50, query.cursor);
      if (page.items.length === 0 && !query.cursor) await mustExist();
      return page;
    }
    await mustExist();
    let row: CaseRow | null;
    let position: number;
    if (query.caseId !== undefined) {
      row = await visibleCase(this.db, actor, query.caseId);
      const matches = (await store.listCases(this.db, { ...filter, caseNumber: row.case_number }, '-openedAt', null, 1))
        .length;
      if (row.customer_id !== customerId || !matches) throw new NotFound('Case');
      position = await store.customerCasePosition(this.db, row, filter, UNITARY_CAP);
    } else {
      position = query.position!;
      row = await store.customerCaseAt(this.db, customerId, filter, position);
      if (!row) throw new NotFound('Case');
    }
    const total = Math.max(position, await store.countCustomerCases(this.db, customerId, filter, UNITARY_CAP));
    return {
      item: store.toCase(row),
      position,
      total,
      previous: position > 1 ? position - 1 : null,
      next: position < total ? position + 1 : null,
    };
  }

  private async statusFilter(raw: string): Promise<NonNullable<CaseFilter['status']>> {
    const wanted = csv(raw);
    const f = { open: false, closed: false, keys: [] as string[] };
    for (const k of wanted) {
      if (k === 'open') f.open = true;
      else if (k === 'closed') f.closed = true;
      else if (!(await statusInfo(this.db, k)))
        throw new Invalid([{ field: 'status', message: `unknown status "${k}"` }]);
      else f.keys.push(k);
    }
    return f;
  }
}

function csv(s: string): string[] {
  return [
    ...new Set(
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    ),
  ];
}
