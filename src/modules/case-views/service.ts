import type { Clock } from '../../clock.js';
import { inTransaction, type Db, type Queryable } from '../../db/adapter.js';
import { can, requirePrivilege, type Actor } from '../../http/actor.js';
import { Conflict, Forbidden, Invalid, NotFound } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import { recordAudit } from '../audit/service.js';
import type { CasesService } from '../cases/service.js';
import {
  CASE_VIEW_COUNT_CAP,
  type CaseView,
  type CaseViewCount,
  type CaseViewCreate,
  type CaseViewFilter,
  type CaseViewPatch,
} from './schema.js';
import { deleteView, findView, insertView, listViews, toCaseView, updateView, type CaseViewRow } from './store.js';

interface CaseViewDeps {
  cases: Pick<CasesService, 'countMatching'>;
}

/**
 * Saved case views (docs/case-views.md): named Cases list filters shown as queues with counts.
 * A personal view is its owner's alone (anybody else gets 404, administrators too); a shared one
 * is shown to everybody who sees cases and changed by holders of cases.sharedViews. Counts are
 * the Cases list's own filter (CasesService.countMatching) with the caller's access, so a
 * private case counts only for callers holding cases.viewPrivate.
 */
export class CaseViewsService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly deps: CaseViewDeps,
  ) {}

  async list(actor: Actor): Promise<CaseView[]> {
    requirePrivilege(actor, 'cases.view');
    return (await listViews(this.db, actor.userId)).map(toCaseView);
  }

  async get(actor: Actor, id: string, tx?: Queryable): Promise<CaseView> {
    requirePrivilege(actor, 'cases.view');
    return toCaseView(await this.visible(tx ?? this.db, actor, id));
  }

  /** Each view's number of matching cases the caller may see (null: its filter no longer applies). */
  async counts(actor: Actor): Promise<CaseViewCount[]> {
    const views = await this.list(actor);
    // One after another: a console's refresh holds at most one pooled connection.
    const out: CaseViewCount[] = [];
    for (const v of views) {
      try {
        out.push({ id: v.id, count: await this.deps.cases.countMatching(actor, v.filter, CASE_VIEW_COUNT_CAP) });
      } catch (e) {
        if (!(e instanceof Invalid)) throw e;
        out.push({ id: v.id, count: null });
      }
    }
    return out;
  }

  async create(actor: Actor, input: CaseViewCreate, tx?: Queryable): Promise<CaseView> {
    requirePrivilege(actor, 'cases.view');
    const shared = input.shared === true;
    if (shared) requirePrivilege(actor, 'cases.sharedViews');
    if (!actor.userId) throw new Forbidden('Saved views belong to a user; this caller is none');
    const ownerId = actor.userId;
    const name = cleanName(input.name);
    await this.checkFilter(actor, input.filter);
    return inTransaction(this.db, tx, async (q) => {
      const row = await insertView(q, {
        ownerId,
        shared,
        name,
        filter: input.filter,
        sort: input.sort ?? '-openedAt',
        position: input.position ?? 0,
        by: actor.userId,
        now: this.clock.now(),
      });
      if (shared) await this.audit(q, actor, 'case_view.created', row);
      return toCaseView(row);
    });
  }

  async update(
    actor: Actor,
    id: string,
    patch: CaseViewPatch,
    expectedVersion: number,
    tx?: Queryable,
  ): Promise<CaseView> {
    requirePrivilege(actor, 'cases.view');
    const name = patch.name === undefined ? undefined : cleanName(patch.name);
    if (patch.filter !== undefined) await this.checkFilter(actor, patch.filter);
    return inTransaction(this.db, tx, async (q) => {
      const row = await this.writable(q, actor, id);
      const shared = patch.shared ?? row.shared;
      if (shared !== row.shared) {
        requirePrivilege(actor, 'cases.sharedViews');
        if (!shared && row.owner_id !== actor.userId)
          throw new Forbidden('Only its owner can make a shared view personal again');
      }
      if (row.version !== expectedVersion) throw Conflict.stale(toCaseView(row));
      const next = await updateView(q, row.id, {
        name: name ?? row.name,
        shared,
        filter: patch.filter ?? row.filter,
        sort: patch.sort ?? row.sort,
        position: patch.position ?? row.position,
        by: actor.userId,
        now: this.clock.now(),
      });
      if (row.shared || shared) await this.audit(q, actor, 'case_view.updated', next);
      return toCaseView(next);
    });
  }

  async remove(actor: Actor, id: string, expectedVersion: number | null, tx?: Queryable): Promise<void> {
    requirePrivilege(actor, 'cases.view');
    await inTransaction(this.db, tx, async (q) => {
      const row = await this.writable(q, actor, id);
      if (expectedVersion !== null && row.version !== expectedVersion) throw Conflict.stale(toCaseView(row));
      await deleteView(q, row.id);
      if (row.shared) await this.audit(q, actor, 'case_view.deleted', row);
    });
  }

  /** The filter as the Cases list reads it: an unknown status or a bad owner is a 400 naming `filter.<field>`. */
  private async checkFilter(actor: Actor, filter: CaseViewFilter): Promise<void> {
    try {
      await this.deps.cases.countMatching(actor, filter, 1);
    } catch (e) {
      if (e instanceof Invalid) {
        throw new Invalid(e.errors.map((f) => ({ field: `filter.${f.field}`, message: f.message })));
      }
      throw e;
    }
  }

  /** A view the caller may read: shared, or their own. */
  private async visible(q: Queryable, actor: Actor, id: string, lock = false): Promise<CaseViewRow> {
    if (!isUuid(id)) throw new NotFound('Case view');
    const row = await findView(q, id, lock);
    if (!row || (!row.shared && row.owner_id !== actor.userId)) throw new NotFound('Case view');
    return row;
  }

  /** A view the caller may change: their own, or a shared one with cases.sharedViews. */
  private async writable(q: Queryable, actor: Actor, id: string): Promise<CaseViewRow> {
    const row = await this.visible(q, actor, id, true);
    if (row.shared && !can(actor, 'cases.sharedViews')) {
      throw new Forbidden('Changing a shared case view needs the cases.sharedViews privilege');
    }
    return row;
  }

  private async audit(q: Queryable, actor: Actor, action: string, row: CaseViewRow): Promise<void> {
    await recordAudit(q, actor, {
      action,
      targetType: 'case_view',
      targetId: row.id,
      details: { name: row.name, shared: row.shared },
    });
  }
}

function cleanName(name: string): string {
  const n = name.trim().replace(/\s+/g, ' ');
  if (!n) throw new Invalid([{ field: 'name', message: 'must not be blank' }]);
  return n;
}
