import type { Clock } from '../../clock.js';
import { inTransaction, type Db, type Queryable } from '../../db/adapter.js';
import { can, requirePrivilege, type Actor } from '../../http/actor.js';
import { Conflict, Forbidden, Invalid, NotFound } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import type { CasesService } from '../cases/service.js';
import type { CustomersService } from '../customers/service.js';
import type { UsersService } from '../users/service.js';
import { render } from './placeholders.js';
import type {
  CannedReply,
  CannedReplyCreate,
  CannedReplyListQuery,
  CannedReplyPatch,
  RenderedCannedReply,
} from './schema.js';
import {
  deleteReply,
  findReply,
  insertReply,
  listReplies,
  toCannedReply,
  updateReply,
  type CannedReplyRow,
} from './store.js';

interface CannedReplyDeps {
  cases: Pick<CasesService, 'get'>;
  customers: Pick<CustomersService, 'get'>;
  users: Pick<UsersService, 'getIdentity'>;
}

/**
 * Canned replies (docs/canned-replies.md): shared ones, which every signed-in user reads and
 * holders of cannedReplies.manageShared (and administrators) write, and personal ones, which
 * only their author sees and writes. Another user's personal reply answers 404, as if absent.
 */
export class CannedRepliesService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly deps: CannedReplyDeps,
  ) {}

  async list(actor: Actor, query: CannedReplyListQuery = {}): Promise<CannedReply[]> {
    const rows = await listReplies(this.db, actor.userId, query.scope ?? 'all');
    return rows.map(toCannedReply);
  }

  async get(actor: Actor, id: string, tx?: Queryable): Promise<CannedReply> {
    return toCannedReply(await this.visible(tx ?? this.db, actor, id));
  }

  async create(actor: Actor, input: CannedReplyCreate, tx?: Queryable): Promise<CannedReply> {
    const shared = input.shared === true;
    if (shared) requirePrivilege(actor, 'cannedReplies.manageShared');
    const ownerId = shared ? null : this.userOf(actor);
    const title = cleanTitle(input.title);
    const body = cleanBody(input.body);
    return inTransaction(this.db, tx, async (q) =>
      toCannedReply(await insertReply(q, { ownerId, title, body, by: actor.userId, now: this.clock.now() })),
    );
  }

  async update(
    actor: Actor,
    id: string,
    patch: CannedReplyPatch,
    expectedVersion: number,
    tx?: Queryable,
  ): Promise<CannedReply> {
    const title = patch.title === undefined ? undefined : cleanTitle(patch.title);
    const body = patch.body === undefined ? undefined : cleanBody(patch.body);
    return inTransaction(this.db, tx, async (q) => {
      const row = await this.writable(q, actor, id);
      if (row.version !== expectedVersion) throw Conflict.stale(toCannedReply(row));
      const next = await updateReply(q, row.id, {
        title: title ?? row.title,
        body: body ?? row.body,
        by: actor.userId,
        now: this.clock.now(),
      });
      return toCannedReply(next);
    });
  }

  async remove(actor: Actor, id: string, expectedVersion: number | null, tx?: Queryable): Promise<void> {
    await inTransaction(this.db, tx, async (q) => {
      const row = await this.writable(q, actor, id);
      if (expectedVersion !== null && row.version !== expectedVersion) throw Conflict.stale(toCannedReply(row));
      await deleteReply(q, row.id);
    });
  }

  /**
   * The reply filled in for a case and the calling agent. A placeholder without a value (an
   * unknown name, or a customer the caller may not see) is left as written and listed in
   * `unfilled`. The case is read with the caller's access: one they may not see is a 404.
   */
  async render(actor: Actor, id: string, caseId: string): Promise<RenderedCannedReply> {
    const reply = await this.get(actor, id);
    const kase = await this.deps.cases.get(actor, caseId);
    let customerName: string | null = null;
    try {
      customerName = (await this.deps.customers.get(actor, kase.customerId)).displayName;
    } catch (e) {
      if (!(e instanceof Forbidden) && !(e instanceof NotFound)) throw e;
    }
    const agent = actor.userId ? await this.deps.users.getIdentity(actor.userId) : null;
    const out = render(reply.body, {
      'customer.name': customerName,
      'case.number': String(kase.caseNumber),
      'agent.name': agent?.name ?? null,
    });
    return { title: reply.title, body: out.text, unfilled: out.unfilled };
  }

  /** A reply the caller may read: shared, or their own. */
  private async visible(q: Queryable, actor: Actor, id: string, lock = false): Promise<CannedReplyRow> {
    if (!isUuid(id)) throw new NotFound('Canned reply');
    const row = await findReply(q, id, lock);
    if (!row || (row.owner_id !== null && row.owner_id !== actor.userId)) throw new NotFound('Canned reply');
    return row;
  }

  /** A reply the caller may change: their own, or a shared one with the privilege. */
  private async writable(q: Queryable, actor: Actor, id: string): Promise<CannedReplyRow> {
    const row = await this.visible(q, actor, id, true);
    if (row.owner_id === null && !can(actor, 'cannedReplies.manageShared')) {
      throw new Forbidden('Changing a shared canned reply needs the cannedReplies.manageShared privilege');
    }
    return row;
  }

  private userOf(actor: Actor): string {
    if (!actor.userId) throw new Forbidden('Personal canned replies belong to a user; this caller is none');
    return actor.userId;
  }
}

function cleanTitle(title: string): string {
  const t = title.trim();
  if (!t) throw new Invalid([{ field: 'title', message: 'must not be blank' }]);
  return t;
}

function cleanBody(body: string): string {
  if (!body.trim()) throw new Invalid([{ field: 'body', message: 'must not be blank' }]);
  return body;
}
