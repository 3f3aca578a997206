import type { Config } from '../../config.js';
import { inTransaction, type Db, type Queryable } from '../../db/adapter.js';
import { emitEvents, type NewEvent } from '../../events/outbox.js';
import { type Actor, can, requirePrivilege, systemActor } from '../../http/actor.js';
import type { Privilege } from '../../http/privileges.js';
import { AppError, Conflict, Invalid, NotFound } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import type { Page } from '../../http/pagination.js';
import type { CasesService } from '../cases/service.js';
import { normalisePhone } from '../customers/phones.js';
import type { Customer, CustomerCreate } from '../customers/schema.js';
import type { CustomersService } from '../customers/service.js';
import { diffFields, recordHistory, type HistoryEntry } from '../history/service.js';
import type { TasksService } from '../tasks/service.js';
import type { UsersService } from '../users/service.js';
import { enqueueWebhook } from '../webhooks/outbox.js';
import { foldRepeatCallers, type RepeatFold } from './repeat.js';
import { casesViewOf, findMatches, matchesByIds, matchInputOf, type MatchOutcome } from './matching.js';
import {
  changeEvents,
  changeOf,
  CLOCK_SKEW_MS,
  closedError,
  historyView,
  parseTime,
  recordChanged,
  RECORD_TYPE,
} from './rules.js';
import type {
  Associate,
  Interaction,
  InteractionCreate,
  InteractionListQuery,
  InteractionWithMatches,
  LookupQuery,
  LookupResult,
} from './schema.js';
import {
  closeDueWrapUps,
  effectiveState,
  findByReference,
  getInteraction,
  insertInteraction,
  listOpenOfAgent,
  moveInteractionsToCustomer,
  saveTranscript,
  setCaseFollowUp,
  toInteraction,
  updateInteraction,
  type InteractionRow,
} from './store.js';
import { InteractionLists } from './lists.js';
import { searchInteractions, type InteractionSearchHit } from './search.js';
import { type ExternalLookupHook, InteractionLookup } from './lookup.js';
import { WrapUp } from './wrapup.js';

export interface InteractionDeps {
  users: UsersService;
  customers: CustomersService;
  cases: CasesService;
  tasks: TasksService;
}

/** A closed interaction linked to a case that is not on the case's timeline yet. */
export function needsTimeline(r: InteractionRow): boolean {
  return r.state === 'closed' && r.case_id !== null && r.case_follow_up_id === null;
}

/** At most this many open interactions are answered to an agent (the console shows the newest few). */
const OPEN_LIMIT = 20;

/** Rows the wrap-up closer handles per transaction. */
const CLOSE_BATCH = 200;

/**
 * Interactions and screen pop (docs/product.md I1–I5). Every command needs
 * customers.view (the platform's API key acts for a user; agents work their
 * interactions with it); creating a customer also needs customers.create,
 * linking a case cases.view, a follow-on call tasks.create. Every command is
 * one transaction holding the row change, its history and its events.
 */
export class InteractionsService {
  /** PATCH: notes, disposition, case, state, follow-on call (wrapup.ts). */
  readonly wrapUp: WrapUp;
  private readonly lookups: InteractionLookup;
  private readonly lists: InteractionLists;

  /**
   * Set by services.ts to the case-timeline flow (src/flows/case-timeline.ts):
   * called in the transaction that closes an interaction linked to a case (or
   * links a closed one), to write it on the case's timeline.
   */
  onClosedOnCase: ((row: InteractionRow, tx: Queryable) => Promise<void>) | null = null;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly deps: InteractionDeps,
  ) {
    this.wrapUp = new WrapUp(db, config, deps, this);
    this.lookups = new InteractionLookup(db, config);
    this.lists = new InteractionLists(db, deps);
  }

  /**
   * Recomputes the stored repeat-caller gaps of the callers changed since the last fold (repeat.ts): a job on
   * every process. Null when another process's fold held the lock.
   */
  foldRepeatCallers(): Promise<RepeatFold | null> {
    return foldRepeatCallers(this.db);
  }

  /** External CRM sources for the lookup (the crm-connectors flow sets them). */
  useExternalLookup(hook: ExternalLookupHook): void {
    this.lookups.external = hook;
  }

  /** Called in the transaction that closes any interaction (the crm-connectors flow writes it back). */
  onClosed: ((row: InteractionRow, tx: Queryable) => Promise<void>) | null = null;

  /** I5: the platform's and the IVR's lookup (lookup.ts). */
  async lookup(actor: Actor, query: LookupQuery): Promise<LookupResult> {
    return this.lookups.lookup(actor, query);
  }

  /**
   * I1: records an interaction the platform reports, matched as the lookup
   * does, and pops it to the named agent, in one transaction. The same
   * `reference` again answers the interaction already recorded (created: false).
   */
  async report(
    actor: Actor,
    input: InteractionCreate,
    now = new Date(),
  ): Promise<{ created: boolean; interaction: InteractionWithMatches }> {
    requirePrivilege(actor, 'customers.view');
    const reference = input.reference?.trim() || null;
    const startedAt = input.startedAt ? parseTime(input.startedAt, 'startedAt') : null;
    if (startedAt && startedAt.getTime() > now.getTime() + CLOCK_SKEW_MS) {
      throw new Invalid([{ field: 'startedAt', message: 'cannot be in the future' }]);
    }
    let agentId: string | null;
    try {
      agentId = await this.resolveAgent(input.agentId ?? null);
    } catch (err) {
      // A retry answers what was recorded, even if the agent has been disabled since.
      const existing = reference ? await findByReference(this.db, reference) : null;
      if (!existing) throw err;
      return { created: false, interaction: await this.withMatches(actor, existing, now) };
    }
    const caseNumber = input.caseNumber === undefined || input.caseNumber === null ? null : String(input.caseNumber);
    // External CRM sources in the lookup order (none by default): their answer rides on the pop and the reply.
    const external = await this.lookups.externalFor(actor, matchInputOf(input));
    const created = await this.db.transaction(async (tx) => {
      const outcome = await findMatches(tx, actor, matchInputOf(input), this.config.defaultPhoneRegion);
      const single = outcome.result === 'found' ? outcome.matches[0] : null;
      const row = await insertInteraction(tx, {
        reference,
        channel: input.channel,
        direction: input.direction,
        from: input.from?.trim() || null,
        to: input.to?.trim() || null,
        caseNumber: caseNumber?.trim() || null,
        agentId,
        customerId: single?.customerId ?? null,
        caseId: single?.matchedCase?.id ?? null,
        result: outcome.result,
        matchedBy: outcome.matchedBy,
        candidateIds: outcome.result === 'multiple' ? outcome.matches.map((m) => m.customerId) : [],
        state: input.state ?? 'active',
        startedAt,
        actorId: actor.userId,
      });
      if (!row) return null;
      await recordHistory(tx, actor, {
        recordType: RECORD_TYPE,
        recordId: row.id,
        action: 'create',
        changes: diffFields({}, historyView(row)),
      });
      const interaction = toInteraction(row, now);
      const events: NewEvent[] = [];
      if (agentId) {
        const pop = await this.popFor(tx, actor, agentId, input, interaction, outcome, external);
        if (pop) events.push(pop);
      }
      events.push(...recordChanged(row, 'interaction.created'));
      await emitEvents(tx, events);
      await enqueueWebhook(tx, 'interaction.created', interaction);
      return { ...interaction, matches: outcome.matches, drafts: outcome.drafts, ...(external ? { external } : {}) };
    });
    if (created) return { created: true, interaction: created };
    // The same reference was reported before (a retry), or concurrently and committed first: answer that one.
    const winner = reference ? await findByReference(this.db, reference) : null;
    if (!winner) throw new Error('an interaction insert returned no row');
    return { created: false, interaction: await this.withMatches(actor, winner, now) };
  }

  async get(actor: Actor, id: string, now = new Date()): Promise<InteractionWithMatches> {
    requirePrivilege(actor, 'customers.view');
    const row = isUuid(id) ? await getInteraction(this.db, id) : null;
    if (!row) throw new NotFound('Interaction');
    return this.withMatches(actor, row, now);
  }

  /**
   * The caller's own open interactions (ringing, active, wrap-up still running),
   * newest first, each shaped as its screen pop would be for the caller now:
   * matches as far as the caller may see them, and a linked case the caller may
   * not see left out. The console reads it at sign-in, so a pop survives a new
   * browser. A caller who is no user (a system key) has none.
   */
  async open(actor: Actor, now = new Date()): Promise<{ items: InteractionWithMatches[] }> {
    requirePrivilege(actor, 'customers.view');
    if (!actor.userId) return { items: [] };
    const rows = (await listOpenOfAgent(this.db, actor.userId, OPEN_LIMIT)).filter(
      (r) => effectiveState(r, now) !== 'closed',
    );
    const items: InteractionWithMatches[] = [];
    for (const row of rows) {
      const pop = await this.withMatches(actor, row, now);
      const seen = new Set(pop.matches.flatMap((m) => (m.matchedCase ? [m.matchedCase.id] : [])));
      items.push(pop.caseId && !seen.has(pop.caseId) ? { ...pop, caseId: null } : pop);
    }
    return { items };
  }

  /** The global search's interactions group (search.ts): by number digits or by words of the notes. */
  async search(
    actor: Actor,
    query: { text: string; words: string[]; limit: number; cap: number },
  ): Promise<InteractionSearchHit[]> {
    requirePrivilege(actor, 'customers.view');
    return searchInteractions(this.db, query);
  }

  /** Every interaction, newest first, filtered (lists.ts). */
  async list(actor: Actor, query: InteractionListQuery, now = new Date()): Promise<Page<Interaction>> {
    return this.lists.list(actor, query, now);
  }

  /** I4: the customer's interaction log, newest first (lists.ts). */
  async listForCustomer(
    actor: Actor,
    customerId: string,
    page: { limit: number; cursor?: string },
    now = new Date(),
  ): Promise<Page<Interaction>> {
    return this.lists.listForCustomer(actor, customerId, page, now);
  }

  async history(actor: Actor, id: string, page: { limit: number; cursor?: string }): Promise<Page<HistoryEntry>> {
    return this.lists.history(actor, id, page);
  }

  /**
   * I3: links the interaction to the customer (and case) the agent found. A
   * closed interaction keeps its link, except that an unmatched one may still
   * be associated.
   */
  async associate(
    actor: Actor,
    id: string,
    input: Associate,
    expectedVersion: number | null,
    now = new Date(),
  ): Promise<InteractionWithMatches> {
    requirePrivilege(actor, 'customers.view');
    if (!isUuid(id)) throw new NotFound('Interaction');
    const customerId = input.customerId;
    if (!isUuid(customerId) || (await this.deps.customers.summaries(actor, [customerId])).length === 0) {
      throw new Invalid([{ field: 'customerId', message: 'no such customer' }]);
    }
    const caseId = input.caseId ?? null;
    if (caseId !== null) await this.checkCase(actor, caseId, customerId);
    const after = await this.db.transaction(async (tx) => {
      const before = await getInteraction(tx, id, true);
      if (!before) throw new NotFound('Interaction');
      if (expectedVersion !== null && expectedVersion !== before.version) {
        throw Conflict.stale(toInteraction(before, now));
      }
      if (before.customer_id === customerId && before.case_id === caseId) return before;
      if (effectiveState(before, now) === 'closed' && before.customer_id !== null) throw closedError(before, now);
      const next = { ...changeOf(before), customerId, caseId, edited: true };
      return this.commit(actor, before, next, 'associate', now, tx);
    });
    return this.withMatches(actor, after, now);
  }

  /**
   * I2: creates a customer prefilled from the interaction (its phone number or
   * email address) plus what the agent typed, and associates it: one transaction.
   */
  async createCustomer(
    actor: Actor,
    id: string,
    input: CustomerCreate,
    now = new Date(),
  ): Promise<{ customer: Customer; interaction: InteractionWithMatches }> {
    requirePrivilege(actor, 'customers.view', 'customers.create');
    if (!isUuid(id)) throw new NotFound('Interaction');
    const peek = await getInteraction(this.db, id);
    if (!peek) throw new NotFound('Interaction');
    const prefilled = this.prefill(peek, input);
    const result = await this.db.transaction(async (tx) => {
      const before = await getInteraction(tx, id, true);
      if (!before) throw new NotFound('Interaction');
      if (before.customer_id !== null) {
        throw Conflict.field('customerId', 'The interaction is already associated with a customer');
      }
      const customer = await this.deps.customers.create(actor, prefilled, tx);
      const next = { ...changeOf(before), customerId: customer.id, caseId: null, edited: true };
      const after = await this.commit(actor, before, next, 'associate', now, tx);
      return { customer, after };
    });
    return { customer: result.customer, interaction: await this.withMatches(actor, result.after, now) };
  }

  /** The background closer: every interaction whose wrap-up is over becomes closed (read-only). */
  async closeDueWrapUps(now = new Date()): Promise<number> {
    const actor = systemActor('system', 'wrap-up timer');
    let total = 0;
    for (;;) {
      const n = await this.db.transaction(async (tx) => {
        const rows = await closeDueWrapUps(tx, CLOSE_BATCH);
        const events: NewEvent[] = [];
        for (const r of rows) {
          if (needsTimeline(r)) await this.onClosedOnCase?.(r, tx);
          await this.onClosed?.(r, tx);
          await recordHistory(tx, actor, {
            recordType: RECORD_TYPE,
            recordId: r.id,
            action: 'close',
            changes: [
              { field: 'state', from: 'wrap_up', to: 'closed' },
              { field: 'closedAt', from: null, to: r.closed_at?.toISOString() ?? null },
            ],
          });
          events.push(...changeEvents(actor, r, 'interaction.closed', now));
        }
        await emitEvents(tx, events);
        return rows.length;
      });
      total += n;
      if (n < CLOSE_BATCH) return total;
    }
  }

  /** For a customer merge, in its transaction: moves every interaction of one customer to the other. */
  async moveToCustomer(actor: Actor, fromCustomerId: string, toCustomerId: string, tx?: Queryable): Promise<number> {
    requirePrivilege(actor, 'customers.edit');
    return inTransaction(this.db, tx, async (tx) => {
      const ids = await moveInteractionsToCustomer(tx, fromCustomerId, toCustomerId);
      for (const id of ids) {
        await recordHistory(tx, actor, {
          recordType: RECORD_TYPE,
          recordId: id,
          action: 'update',
          changes: [{ field: 'customerId', from: fromCustomerId, to: toCustomerId }],
        });
      }
      return ids.length;
    });
  }

  /** The interaction row for a flow, locked when `tx` is given and `forUpdate` is set. */
  async row(id: string, forUpdate = false, tx?: Queryable): Promise<InteractionRow | null> {
    if (!isUuid(id)) return null;
    return getInteraction(tx ?? this.db, id, forUpdate && tx !== undefined);
  }

  /**
   * Stores the platform's chat transcript (once: a second one is a 409), with
   * its history, in the caller's transaction (the case-timeline flow's).
   */
  async saveTranscript(actor: Actor, id: string, text: string, now: Date, tx?: Queryable): Promise<InteractionRow> {
    requirePrivilege(actor, 'customers.view');
    return inTransaction(this.db, tx, async (tx) => {
      const after = isUuid(id) ? await saveTranscript(tx, id, text) : null;
      if (!after) {
        const existing = isUuid(id) ? await getInteraction(tx, id) : null;
        if (!existing) throw new NotFound('Interaction');
        throw Conflict.field('transcript', 'The interaction already has a transcript; add a follow-up to correct it');
      }
      await recordHistory(tx, actor, {
        recordType: RECORD_TYPE,
        recordId: id,
        action: 'transcript',
        changes: [{ field: 'transcript', from: null, to: `${text.length} characters` }],
      });
      await emitEvents(tx, changeEvents(actor, after, 'interaction.updated', now));
      return after;
    });
  }

  /** Records the follow-up that put the interaction on its case's timeline (the case-timeline flow). */
  async setCaseFollowUp(id: string, followUpId: string, tx?: Queryable): Promise<void> {
    await inTransaction(this.db, tx, (tx) => setCaseFollowUp(tx, id, followUpId));
  }

  // ------------------------------------------------------------- internals

  /** Writes a change with its history and events (in the caller's transaction, which holds the row lock). */
  async commit(
    actor: Actor,
    before: InteractionRow,
    next: ReturnType<typeof changeOf>,
    action: string,
    now: Date,
    tx?: Queryable,
  ): Promise<InteractionRow> {
    return inTransaction(this.db, tx, async (tx) => {
      let after = await updateInteraction(tx, before.id, next, actor.userId);
      if (needsTimeline(after) && this.onClosedOnCase) {
        await this.onClosedOnCase(after, tx);
        after = (await getInteraction(tx, before.id)) ?? after;
      }
      await recordHistory(tx, actor, {
        recordType: RECORD_TYPE,
        recordId: before.id,
        action,
        changes: diffFields(historyView(before), historyView(after)),
      });
      await emitEvents(tx, changeEvents(actor, after, 'interaction.updated', now));
      if (after.ended_at && !before.ended_at) await enqueueWebhook(tx, 'interaction.ended', toInteraction(after, now));
      if (after.state === 'closed' && before.state !== 'closed') await this.onClosed?.(after, tx);
      return after;
    });
  }

  /** The interaction with its customer (once associated) or its candidates, and their context now. */
  async withMatches(actor: Actor, row: InteractionRow, now: Date): Promise<InteractionWithMatches> {
    const ids = row.customer_id ? [row.customer_id] : row.candidate_ids;
    const matches = await matchesByIds(this.db, actor, ids, row.customer_id ? row.case_id : null, row.id);
    return { ...toInteraction(row, now), matches };
  }

  /** 400 unless `caseId` is a case of this customer that the actor may see. */
  async checkCase(actor: Actor, caseId: string, customerId: string): Promise<void> {
    requirePrivilege(actor, 'cases.view');
    let owner: string | null = null;
    try {
      owner = isUuid(caseId) ? (await this.deps.cases.get(actor, caseId)).customerId : null;
    } catch (err) {
      if (!(err instanceof AppError && err.status === 404)) throw err;
    }
    if (owner === null) throw new Invalid([{ field: 'caseId', message: 'no such case' }]);
    if (owner !== customerId) throw new Invalid([{ field: 'caseId', message: "is not one of this customer's cases" }]);
  }

  /**
   * The screen pop for the agent, shaped by the agent's own privileges (never
   * the reporting key's): matched again when the agent sees cases differently,
   * so a private case, or any case, the agent may not see is not in it. None
   * for an agent who may not see customers.
   */
  private async popFor(
    tx: Queryable,
    reporter: Actor,
    agentId: string,
    input: InteractionCreate,
    interaction: Interaction,
    reported: MatchOutcome,
    external: LookupResult['external'],
  ): Promise<NewEvent | null> {
    const agent = await this.deps.users.access(agentId, tx);
    if (!agent || !can(agent, 'customers.view')) return null;
    const view = casesViewOf(agent);
    const outcome =
      view === casesViewOf(reporter)
        ? reported
        : await findMatches(tx, agent, matchInputOf(input), this.config.defaultPhoneRegion);
    // The interaction names the case the reporter's match found; the agent sees it only if the agent's match did.
    const seen = new Set(outcome.matches.flatMap((m) => (m.matchedCase ? [m.matchedCase.id] : [])));
    const shown = interaction.caseId && !seen.has(interaction.caseId) ? { ...interaction, caseId: null } : interaction;
    const requires: Privilege[] = ['customers.view'];
    if (view !== 'none') requires.push('cases.view');
    if (view === 'all') requires.push('cases.viewPrivate');
    return {
      type: 'screen.pop',
      userId: agentId,
      recordType: RECORD_TYPE,
      recordId: interaction.id,
      // What the pop was shaped with: an agent who lost one of these since gets nothing rather than too much.
      requires,
      payload: {
        interaction: shown,
        result: outcome.result,
        matchedBy: outcome.matchedBy,
        matches: outcome.matches,
        drafts: outcome.drafts,
        // What the external CRMs answered (shown beside the local matches; never a local customer).
        ...(external ? { external } : {}),
      },
    };
  }

  /** The agent to pop to: a user id or an email address of an active user. */
  private async resolveAgent(agent: string | null): Promise<string | null> {
    const value = agent?.trim();
    if (!value) return null;
    const users = this.deps.users;
    const row = value.includes('@') ? await users.findRowByEmail(value) : await users.findRowById(value);
    if (!row || row.disabled) throw new Invalid([{ field: 'agentId', message: 'no such active user' }]);
    return row.id;
  }

  /** The new customer's fields: what the agent typed, plus the interaction's number or address. */
  private prefill(r: InteractionRow, input: CustomerCreate): CustomerCreate {
    const who = matchInputOf({ channel: r.channel, direction: r.direction, from: r.from_address, to: r.to_address });
    const out: CustomerCreate = { ...input };
    if (who.email && !input.email) out.email = who.email;
    if (who.phone) {
      const region = this.config.defaultPhoneRegion;
      const key = (n: string) => {
        const p = normalisePhone(n, region);
        return p.e164 ?? p.digits;
      };
      const phones = input.phones ?? [];
      if (!phones.some((p) => key(p.number) === key(who.phone!))) {
        out.phones = [...phones, { type: 'voice', number: who.phone }];
      }
    }
    return out;
  }
}
