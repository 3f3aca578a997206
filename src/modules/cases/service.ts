import { systemClock, type Clock } from '../../clock.js';
import { foldCaseRollups } from './rollups.js';
import { inTransaction, type Db, type Queryable } from '../../db/adapter.js';
import { emitEvents, type NewEvent } from '../../events/outbox.js';
import { enqueueCaseWebhooks } from './webhooks.js';
import { type Actor, can, requirePrivilege } from '../../http/actor.js';
import { AppError, Conflict, Forbidden, Invalid } from '../../http/errors.js';
import { tagOf, tagsOf, tagText } from '../../formats/tags.js';
import { isUuid } from '../../http/ids.js';
import { asSentence } from '../../http/messages.js';
import { keysetPage, type Page } from '../../http/pagination.js';
import { readCustomFieldValidatorAhead, validateCustomFields } from '../custom-fields/validate.js';
import { diffFields, listHistory, recordHistory, type HistoryEntry } from '../history/service.js';
import type { UsersService } from '../users/service.js';
import { caseAudience, mayReadInternalFollowUps, visibleCase, visibleCaseWithFollowUps } from './access.js';
import { searchCases, type CaseSearchHit, type CaseTextHit } from './search.js';
import { FollowUpsService, type FollowUpAdded, type FollowUpInput } from './followups-service.js';
import { toFollowUpFromJson } from './followups-store.js';
import { CaseLists } from './lists.js';
import { CaseImporter, CaseRowsAhead, FollowUpImporter, FollowUpRowsAhead, type CaseImportMode } from './import.js';
import type {
  Case,
  CaseCreate,
  CaseBulk,
  CaseBulkResult,
  CaseListQuery,
  CasePatch,
  CaseUnitary,
  CustomerCasesQuery,
  FollowUp,
} from './schema.js';
import { loadReopenPolicy, loadSettings, rankDefault, rankInfo, statusInfo, type RankTable } from './settings-store.js';
import { reopenDecision } from './settings-service.js';
import * as store from './store.js';
import type { CaseRow } from './store.js';

/**
 * Asks the customers module whether a customer exists. Called outside any
 * transaction (PGlite has one connection); inside a caller's transaction the
 * foreign key alone decides.
 */
type CustomerExists = (customerId: string) => Promise<boolean>;

/** The case fields history compares. */
function caseFields(r: CaseRow): Record<string, unknown> {
  return {
    customerId: r.customer_id,
    subject: r.subject,
    description: r.description,
    status: r.status,
    priority: r.priority,
    severity: r.severity,
    visibility: r.visibility,
    ownerId: r.owner_id,
    channel: r.channel,
    closedAt: r.closed_at ? r.closed_at.toISOString() : null,
    customFields: r.custom_fields,
    tags: r.tags,
  };
}

/**
 * Cases (docs/product.md K1, K4–K6): every method begins with its access check;
 * every command is one transaction holding the row change, its history and
 * its events.
 */
export class CasesService {
  /** Set by services.ts once the customers module provides it; until then the foreign key decides. */
  customerExists: CustomerExists | null = null;
  /** The case's follow-ups (F1). */
  readonly followUps: FollowUpsService;
  private readonly lists: CaseLists;

  constructor(
    private readonly db: Db,
    private readonly users: UsersService,
    clock: Clock = systemClock,
  ) {
    this.followUps = new FollowUpsService(db, this);
    this.lists = new CaseLists(db, () => this.customerExists, clock);
  }

  /**
   * Adds a follow-up to a case, inside the caller's transaction when `tx` is
   * given (the email and interactions modules). See FollowUpsService.add.
   */
  addFollowUp(actor: Actor, caseId: string, input: FollowUpInput, tx?: Queryable): Promise<FollowUpAdded> {
    return this.followUps.add(actor, caseId, input, tx);
  }

  /**
   * Moves the cases report's rollup deltas into the summed tables (cases/rollups.ts): a job on every
   * process. The number of deltas moved, or null when another process's fold held the lock.
   */
  foldRollups(): Promise<number | null> {
    return foldCaseRollups(this.db);
  }

  /** Cases in bulk for an import (cases/import.ts), in the import chunk's transaction. */
  async importer(actor: Actor, mode: CaseImportMode, match: string[], tx?: Queryable): Promise<CaseImporter> {
    requirePrivilege(actor, 'data.import', 'cases.view');
    if (mode !== 'update') requirePrivilege(actor, 'cases.create');
    if (mode !== 'create') requirePrivilege(actor, 'cases.edit', 'cases.changeStatus');
    return CaseImporter.prepare(actor, mode, match, tx ?? this.db);
  }

  /**
   * An import's next chunk of cases worked out before its transaction (cases/import.ts,
   * CaseRowsAhead): custom field definitions and case settings read from the pool, no lock.
   */
  async importAhead(actor: Actor): Promise<CaseRowsAhead> {
    requirePrivilege(actor, 'data.import', 'cases.view');
    return new CaseRowsAhead(await readCustomFieldValidatorAhead(this.db, 'case'), await loadSettings(this.db));
  }

  /** An import's next chunk of follow-ups worked out before its transaction (FollowUpRowsAhead), no lock. */
  async followUpImportAhead(actor: Actor): Promise<FollowUpRowsAhead> {
    requirePrivilege(actor, 'data.import', 'cases.view', 'cases.addFollowUp');
    return new FollowUpRowsAhead(await readCustomFieldValidatorAhead(this.db, 'followUp'));
  }

  /** Follow-ups in bulk for an import, in the import chunk's transaction. */
  async followUpImporter(actor: Actor, mode: 'create' | 'upsert', tx?: Queryable): Promise<FollowUpImporter> {
    requirePrivilege(actor, 'data.import', 'cases.view', 'cases.addFollowUp');
    return FollowUpImporter.prepare(actor, mode, tx ?? this.db);
  }

  /** Creates a case; `tx` lets another module (email, portal, interactions) create it inside its own transaction. */
  async create(actor: Actor, input: CaseCreate, tx?: Queryable): Promise<Case> {
    requirePrivilege(actor, 'cases.create');
    const visibility = input.visibility ?? 'public';
    if (visibility === 'private' && !can(actor, 'cases.viewPrivate')) {
      throw new Forbidden('A private case needs the cases.viewPrivate privilege');
    }
    const status = input.status ?? 'open';
    if (status !== 'open') requirePrivilege(actor, 'cases.changeStatus');
    if (!isUuid(input.customerId)) throw new Invalid([{ field: 'customerId', message: 'no such customer' }]);
    if (!tx) await this.checkCustomer(input.customerId);
    return inTransaction(this.db, tx, async (q) => {
      const ownerId = input.ownerId ?? null;
      if (ownerId !== null) await this.checkOwner(q, ownerId);
      const st = await this.checkStatus(q, status, null);
      const priority = await this.checkRank(q, 'case_priorities', 'priority', input.priority, null);
      const severity = await this.checkRank(q, 'case_severities', 'severity', input.severity, null);
      const customFields = await validateCustomFields(q, 'case', input.customFields);
      const tags = input.tags ? tagsOf(input.tags) : [];
      if (tags.length > 0) requirePrivilege(actor, 'cases.edit');
      const row = await store.insertCase(q, {
        tags,
        customerId: input.customerId,
        subject: input.subject,
        description: input.description ?? '',
        status,
        isOpen: st.is_open,
        priority,
        severity,
        visibility,
        ownerId,
        channel: input.channel ?? (actor.channel === 'portal' || actor.channel === 'email' ? actor.channel : 'other'),
        customFields,
        actorId: actor.userId,
      });
      await recordHistory(q, actor, {
        recordType: 'case',
        recordId: row.id,
        action: 'create',
        changes: diffFields({}, { caseNumber: row.case_number, ...caseFields(row) }),
      });
      await this.announce(actor, row, 'create', null, q);
      return store.toCase(row);
    });
  }

  async get(
    actor: Actor,
    id: string,
    opts: { followUps?: number } = {},
  ): Promise<Case & { followUps?: Page<FollowUp> }> {
    if (!opts.followUps) return store.toCase(await visibleCase(this.db, actor, id));
    const { row, followUps } = await visibleCaseWithFollowUps(this.db, actor, id, opts.followUps + 1);
    return {
      ...store.toCase(row),
      followUps: keysetPage(followUps, opts.followUps, (last) => [last.seq], toFollowUpFromJson),
    };
  }

  /** The case with this number, or null (also when the actor may not see it). For lookups and the email channel. */
  async getByNumber(actor: Actor, caseNumber: number, tx?: Queryable): Promise<Case | null> {
    requirePrivilege(actor, 'cases.view');
    if (!Number.isSafeInteger(caseNumber) || caseNumber < 1) return null;
    const row = await store.findCaseByNumber(tx ?? this.db, caseNumber);
    return row && (row.visibility === 'public' || can(actor, 'cases.viewPrivate')) ? store.toCase(row) : null;
  }

  /**
   * Changes the fields sent. A status change needs cases.changeStatus, a change
   * of any other field cases.edit: each checked for what actually changes.
   */
  async update(
    actor: Actor,
    id: string,
    patch: CasePatch,
    expectedVersion: number | null,
    tx?: Queryable,
  ): Promise<Case> {
    // Outside a caller's transaction the customers module is asked first; inside one the foreign key decides.
    if (patch.customerId !== undefined && !tx) {
      requirePrivilege(actor, 'cases.view');
      await this.checkCustomer(patch.customerId);
    }
    return (await this.change(actor, id, () => patch, expectedVersion, tx)).case;
  }

  /**
   * The update's body: `patchOf` computes the patch from the locked row (a bulk
   * "add tag" adds to the tags it finds). `changed` is false when nothing did.
   */
  private async change(
    actor: Actor,
    id: string,
    patchOf: (before: Case) => CasePatch,
    expectedVersion: number | null,
    tx?: Queryable,
  ): Promise<{ case: Case; changed: boolean }> {
    requirePrivilege(actor, 'cases.view');
    if (!can(actor, 'cases.edit') && !can(actor, 'cases.changeStatus')) {
      throw new Forbidden('This needs the cases.edit or cases.changeStatus privilege');
    }
    return inTransaction(this.db, tx, async (q) => {
      const before = await visibleCase(q, actor, id, true);
      if (expectedVersion !== null && expectedVersion !== before.version) throw Conflict.stale(store.toCase(before));
      const patch = patchOf(store.toCase(before));
      if (patch.customerId !== undefined && !isUuid(patch.customerId)) {
        throw new Invalid([{ field: 'customerId', message: 'no such customer' }]);
      }
      const next: store.CaseFields = {
        customerId: patch.customerId ?? before.customer_id,
        subject: patch.subject ?? before.subject,
        description: patch.description ?? before.description,
        status: patch.status ?? before.status,
        isOpen: before.is_open,
        priority: patch.priority ?? before.priority,
        severity: patch.severity ?? before.severity,
        visibility: patch.visibility ?? before.visibility,
        ownerId: patch.ownerId !== undefined ? patch.ownerId : before.owner_id,
        channel: patch.channel ?? before.channel,
        closedAt: before.closed_at,
        customFields:
          patch.customFields !== undefined
            ? await validateCustomFields(q, 'case', patch.customFields, before.custom_fields)
            : before.custom_fields,
        tags: patch.tags !== undefined ? tagsOf(patch.tags) : before.tags,
      };
      const statusChanged = next.status !== before.status;
      const edited = diffFields(
        { ...caseFields(before), status: null, closedAt: null },
        { ...caseFields({ ...before, ...rowOf(next) }), status: null, closedAt: null },
      );
      if (statusChanged) requirePrivilege(actor, 'cases.changeStatus');
      if (edited.length > 0) requirePrivilege(actor, 'cases.edit');
      if (!statusChanged && edited.length === 0) return { case: store.toCase(before), changed: false };

      if (next.visibility === 'private' && before.visibility !== 'private' && !can(actor, 'cases.viewPrivate')) {
        throw new Forbidden('Making a case private needs the cases.viewPrivate privilege');
      }
      if (next.ownerId !== null && next.ownerId !== before.owner_id) await this.checkOwner(q, next.ownerId);
      if (statusChanged) {
        const st = await this.checkStatus(q, next.status, before.status);
        next.isOpen = st.is_open;
        if (before.is_open && !st.is_open) next.closedAt = new Date();
        if (st.is_open) next.closedAt = null;
      }
      next.priority = await this.checkRank(q, 'case_priorities', 'priority', next.priority, before.priority);
      next.severity = await this.checkRank(q, 'case_severities', 'severity', next.severity, before.severity);

      const after = await store.updateCase(q, before.id, next, actor.userId);
      await recordHistory(q, actor, {
        recordType: 'case',
        recordId: after.id,
        action: 'update',
        changes: diffFields(caseFields(before), caseFields(after)),
      });
      await this.announce(actor, after, 'update', before, q);
      return { case: store.toCase(after), changed: true };
    });
  }

  /**
   * One action on many cases, all or nothing: each case goes through the
   * update (its privileges, history, events and webhooks), in one transaction.
   * The first case that fails undoes the others and names itself in the error.
   */
  async bulk(actor: Actor, input: CaseBulk, tx?: Queryable): Promise<CaseBulkResult> {
    requirePrivilege(actor, 'cases.view');
    const patchOf = bulkPatch(input.action);
    const ids = [...new Set(input.ids)];
    return inTransaction(this.db, tx, async (q) => {
      const items: CaseBulkResult['items'] = [];
      for (const [i, id] of ids.entries()) {
        try {
          const r = await this.change(actor, id, patchOf, null, q);
          items.push({ id, changed: r.changed, case: r.case });
        } catch (e) {
          if (!(e instanceof AppError)) throw e;
          throw bulkFailure(e, id, input.ids.indexOf(id) >= 0 ? input.ids.indexOf(id) : i);
        }
      }
      return { items, changed: items.filter((r) => r.changed).length };
    });
  }

  /**
   * The global search's cases group (cases/search.ts): by number, subject, description,
   * follow-up text and the email messages the email module found (`extra`), as far as the
   * caller may see them: private cases only with cases.viewPrivate, internal follow-ups
   * only for staff (access.ts).
   */
  async search(
    actor: Actor,
    query: { text: string; words: string[]; limit: number; cap: number },
    extra: CaseTextHit[] = [],
  ): Promise<CaseSearchHit[]> {
    requirePrivilege(actor, 'cases.view');
    return searchCases(this.db, {
      ...query,
      viewPrivate: can(actor, 'cases.viewPrivate'),
      internal: mayReadInternalFollowUps(actor),
      extra,
    });
  }

  /** The tags on cases the caller may see, most used first (private cases count only for cases.viewPrivate). */
  async tagCounts(
    actor: Actor,
    query: { q?: string; limit?: number },
  ): Promise<{ items: { tag: string; count: number }[] }> {
    requirePrivilege(actor, 'cases.view');
    const prefix = (query.q !== undefined && tagText(query.q)) || null;
    const items = await store.tagCounts(this.db, {
      publicOnly: !can(actor, 'cases.viewPrivate'),
      prefix,
      limit: query.limit ?? 100,
    });
    return { items };
  }

  async delete(actor: Actor, id: string, expectedVersion: number | null): Promise<void> {
    requirePrivilege(actor, 'cases.delete');
    await this.db.transaction(async (q) => {
      const before = await visibleCase(q, actor, id, true);
      if (expectedVersion !== null && expectedVersion !== before.version) throw Conflict.stale(store.toCase(before));
      await store.deleteCase(q, before.id);
      await recordHistory(q, actor, {
        recordType: 'case',
        recordId: before.id,
        action: 'delete',
        changes: diffFields({ caseNumber: before.case_number, ...caseFields(before) }, {}),
      });
      await this.announce(actor, before, 'delete', null, q);
    });
  }

  /**
   * K6 inside the caller's transaction: when the policy says so, a closed case
   * goes back to `open` (same number, same history). The caller holds the row
   * lock (visibleCase(…, forUpdate)) and announces the change.
   */
  async applyReopenPolicy(actor: Actor, row: CaseRow, tx?: Queryable): Promise<CaseRow | null> {
    if (row.is_open) return null;
    return inTransaction(this.db, tx, async (q) => {
      if (!reopenDecision(await loadReopenPolicy(q), { isOpen: row.is_open, closedAt: row.closed_at })) return null;
      const after = await store.updateCase(
        q,
        row.id,
        { ...fieldsOf(row), status: 'open', isOpen: true, closedAt: null },
        actor.userId,
      );
      await recordHistory(q, actor, {
        recordType: 'case',
        recordId: row.id,
        action: 'reopen',
        changes: diffFields(caseFields(row), caseFields(after)),
      });
      return after;
    });
  }

  /** The live events of a case change: the new owner's assignment, then a broadcast so consoles refresh. */
  async announce(actor: Actor, row: CaseRow, action: string, before: CaseRow | null, tx?: Queryable): Promise<void> {
    await inTransaction(this.db, tx, async (q) => {
      await emitEvents(q, changeEvents(actor, row, action, before));
      await enqueueCaseWebhooks(q, store.toCase(row), action, before && store.toCase(before));
      const from = before?.owner_id ?? null;
      if (action !== 'delete' && row.owner_id !== from && this.onOwnerChanged) {
        await this.onOwnerChanged(actor, store.toCase(row), from, q);
      }
    });
  }

  /**
   * Set by services.ts to the assignment-notices flow (src/flows/assignment-notices.ts):
   * called in the transaction of a change of a case's owner (`from` the previous one).
   */
  onOwnerChanged: ((actor: Actor, after: Case, from: string | null, tx: Queryable) => Promise<void>) | null = null;

  /** Case list and search (K4); see CaseLists. */
  list(actor: Actor, query: CaseListQuery): Promise<Page<Case>> {
    return this.lists.list(actor, query);
  }

  /** How many cases the list with these filters shows the caller, up to `cap` (saved views' counts). */
  countMatching(actor: Actor, query: CaseListQuery, cap: number): Promise<number> {
    return this.lists.count(actor, query, cap);
  }

  /** The customer record's cases: a table page, or one case at a time (unitary view) with its position. */
  customerCases(actor: Actor, customerId: string, query: CustomerCasesQuery): Promise<Page<Case> | CaseUnitary> {
    return this.lists.customerCases(actor, customerId, query);
  }

  async history(actor: Actor, id: string, opts: { limit: number; cursor?: string }): Promise<Page<HistoryEntry>> {
    const row = await visibleCase(this.db, actor, id);
    return listHistory(this.db, 'case', row.id, opts);
  }

  /** Merging customers: every case of one customer moves to another (in the merge's transaction). */
  async moveToCustomer(actor: Actor, fromId: string, toId: string, tx?: Queryable): Promise<number> {
    requirePrivilege(actor, 'cases.edit');
    return inTransaction(this.db, tx, async (tx) => {
      const moved = await store.moveCustomerCases(tx, fromId, toId, actor.userId);
      for (const m of moved) {
        await recordHistory(tx, actor, {
          recordType: 'case',
          recordId: m.id,
          action: 'update',
          changes: [{ field: 'customerId', from: fromId, to: toId }],
        });
      }
      // An open case screen shows the customer: it refreshes on these (no new owner, so no assignment).
      await emitEvents(
        tx,
        moved.flatMap((m) => changeEvents(actor, m, 'update', m)),
      );
      return moved.length;
    });
  }

  // ---------------------------------------------------------------- checks

  private async checkCustomer(customerId: string): Promise<void> {
    const ok = isUuid(customerId) && (!this.customerExists || (await this.customerExists(customerId)));
    if (!ok) throw new Invalid([{ field: 'customerId', message: 'no such customer' }]);
  }

  private async checkOwner(q: Queryable, ownerId: string): Promise<void> {
    const u = isUuid(ownerId) ? await this.users.findRowById(ownerId, q) : null;
    if (!u || u.disabled) throw new Invalid([{ field: 'ownerId', message: 'no such active user' }]);
  }

  /** A status to write: it must exist, and not be retired unless the case already has it. */
  private async checkStatus(q: Queryable, key: string, current: string | null) {
    const st = await statusInfo(q, key);
    if (!st || (st.retired && key !== current))
      throw new Invalid([{ field: 'status', message: `unknown status "${key}"` }]);
    return st;
  }

  private async checkRank(
    q: Queryable,
    table: RankTable,
    field: string,
    key: string | undefined,
    current: string | null,
  ): Promise<string> {
    if (key === undefined) return rankDefault(q, table);
    if (key === current) return key;
    const r = await rankInfo(q, table, key);
    if (!r || r.retired) throw new Invalid([{ field, message: `unknown ${field} "${key}"` }]);
    return key;
  }
}

function fieldsOf(r: CaseRow): store.CaseFields {
  return {
    customerId: r.customer_id,
    subject: r.subject,
    description: r.description,
    status: r.status,
    isOpen: r.is_open,
    priority: r.priority,
    severity: r.severity,
    visibility: r.visibility,
    ownerId: r.owner_id,
    channel: r.channel,
    closedAt: r.closed_at,
    customFields: r.custom_fields,
    tags: r.tags,
  };
}

/** A bulk action as the patch of one case (exactly one action; 400 naming `action` otherwise). */
function bulkPatch(action: CaseBulk['action']): (before: Case) => CasePatch {
  const keys = Object.keys(action).filter((k) => action[k as keyof typeof action] !== undefined);
  if (keys.length !== 1) {
    throw new Invalid([
      {
        field: 'action',
        message: 'give exactly one of assign, status, priority, addTag or removeTag',
      },
    ]);
  }
  if (action.assign !== undefined) {
    const ownerId = action.assign;
    return () => ({ ownerId });
  }
  if (action.status !== undefined) {
    const status = action.status;
    return () => ({ status });
  }
  if (action.priority !== undefined) {
    const priority = action.priority;
    return () => ({ priority });
  }
  if (action.addTag !== undefined) {
    const tag = tagOf(action.addTag, 'action.addTag');
    return (before) => ({ tags: before.tags.includes(tag) ? before.tags : [...before.tags, tag] });
  }
  const tag = tagOf(action.removeTag ?? '', 'action.removeTag');
  return (before) => ({ tags: before.tags.filter((t) => t !== tag) });
}

/**
 * A case of a bulk action failed: the same status, naming the id and its place in `ids`,
 * and `reason`, the why as a sentence on its own (the console names the case by its number).
 */
function bulkFailure(e: AppError, id: string, index: number): AppError {
  const why = e.message;
  const fields = Array.isArray(e.extra.errors) ? (e.extra.errors as { field: string; message: string }[]) : [];
  const reason = fields.length > 0 ? fields.map((f) => `${f.field}: ${f.message}`).join('; ') : why;
  const detail = `Case ${id} (ids[${index}]): ${reason}. Nothing was changed.`;
  const plain =
    fields.length > 0 ? fields.map((f) => asSentence(f.field, f.message)).join(' ') : asSentence('case', why);
  return new AppError(e.status, e.title, detail, {
    errors: [{ field: `ids[${index}]`, message: `${id}: ${reason}` }],
    failedId: id,
    reason: /[.!?]$/.test(plain) ? plain : `${plain}.`,
  });
}

function rowOf(f: store.CaseFields): Partial<CaseRow> {
  return {
    customer_id: f.customerId,
    subject: f.subject,
    description: f.description,
    priority: f.priority,
    severity: f.severity,
    visibility: f.visibility,
    owner_id: f.ownerId,
    channel: f.channel,
    custom_fields: f.customFields,
    tags: f.tags,
  };
}

/** A case change's live events (see CasesService.announce). */
function changeEvents(actor: Actor, row: CaseRow, action: string, before: CaseRow | null): NewEvent[] {
  const audience = caseAudience(row);
  const events: NewEvent[] = [];
  // Taking a case yourself needs no notification.
  const newOwner = action !== 'delete' && row.owner_id && row.owner_id !== (before?.owner_id ?? null);
  if (newOwner && row.owner_id !== actor.userId) {
    events.push({
      type: 'case.assigned',
      userId: row.owner_id,
      recordType: 'case',
      recordId: row.id,
      payload: { caseNumber: row.case_number, subject: row.subject, by: actor.name },
      // The owner gets it only while they may see the case (a private one needs cases.viewPrivate too).
      requires: audience,
    });
  }
  events.push({
    type: 'record.changed',
    recordType: 'case',
    recordId: row.id,
    payload: { action, caseNumber: row.case_number, customerId: row.customer_id, version: row.version },
    requires: audience,
  });
  return events;
}
