import { inTransaction, type Db, type Queryable } from '../../db/adapter.js';
import { type Actor, requirePrivilege } from '../../http/actor.js';
import { Invalid, NotFound } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import { decodeCursor, keysetPage, type Page } from '../../http/pagination.js';
import { validateCustomFields } from '../custom-fields/validate.js';
import { recordHistory } from '../history/service.js';
import { enqueueWebhook } from '../webhooks/outbox.js';
import { visibleCase } from './access.js';
import { findFollowUp, insertFollowUp, listFollowUps, toFollowUp } from './followups-store.js';
import type { Case, FollowUp, FollowUpCreate, FollowUpInteraction } from './schema.js';
import type { CasesService } from './service.js';
import { toCase, touchCase } from './store.js';

/** Who wrote a follow-up when it is not the acting user: the customer (email in, portal) or the system. */
interface FollowUpAuthor {
  type: 'user' | 'customer' | 'system';
  id: string | null;
  name: string;
}

/** What other modules may pass besides the HTTP body. */
export interface FollowUpInput extends FollowUpCreate {
  author?: FollowUpAuthor;
  /** For the case timeline flow: the interaction a call or chat follow-up records. */
  interaction?: FollowUpInteraction;
}

export interface FollowUpAdded {
  followUp: FollowUp;
  /** The case after the follow-up: reopened, or with a new updatedAt. */
  case: Case;
  reopened: boolean;
}

/**
 * Follow-ups (F1): every communication about a case, append-only. A follow-up
 * is written with its case's history row and a live event, in one transaction
 * (the caller's, when the email or interactions module passes one).
 */
export class FollowUpsService {
  constructor(
    private readonly db: Db,
    private readonly cases: CasesService,
  ) {}

  /**
   * Adds a follow-up. New activity from the customer's side (`reopens`, which
   * defaults to true for inbound follow-ups) applies the reopen policy to a
   * closed case (K6).
   */
  async add(actor: Actor, caseId: string, input: FollowUpInput, tx?: Queryable): Promise<FollowUpAdded> {
    requirePrivilege(actor, 'cases.view', 'cases.addFollowUp');
    if (input.email && input.kind !== 'email') {
      throw new Invalid([{ field: 'email', message: 'only follow-ups of kind email carry email headers' }]);
    }
    if (input.body.trim() === '' && !input.email) {
      throw new Invalid([{ field: 'body', message: 'must not be empty' }]);
    }
    const notify = uniqueAddresses(input.notify ?? []);
    if (notify.length > 0 && !this.notifier) {
      throw new Invalid([{ field: 'notify', message: 'follow-ups cannot be emailed here' }]);
    }
    return inTransaction(this.db, tx, async (q): Promise<FollowUpAdded> => {
      // The case row lock orders a case's follow-ups and serialises its reopening.
      const row = await visibleCase(q, actor, caseId, true);
      const customFields = await validateCustomFields(q, 'followUp', input.customFields);
      const visibility = input.visibility ?? 'internal';
      if (notify.length > 0) await this.notifier!.check(visibility, notify, q);
      const author: FollowUpAuthor = input.author ?? {
        type: actor.kind === 'system' ? 'system' : 'user',
        id: actor.userId,
        name: actor.name,
      };
      const fu = await insertFollowUp(q, {
        caseId: row.id,
        kind: input.kind,
        direction: input.direction ?? null,
        visibility,
        body: input.body,
        author,
        channel: actor.channel,
        email: input.email ?? null,
        customFields,
        interaction: input.interaction ?? null,
        notified: notify,
      });
      await recordHistory(q, actor, {
        recordType: 'case',
        recordId: row.id,
        action: 'followUp',
        changes: [
          {
            field: 'followUps',
            from: null,
            to: { id: fu.id, kind: fu.kind, visibility: fu.visibility, direction: fu.direction, author: author.name },
          },
        ],
      });
      if (input.attachmentIds?.length) {
        if (!this.attachUploads) {
          throw new Invalid([{ field: 'attachmentIds', message: 'files cannot be attached here' }]);
        }
        await this.attachUploads(actor, row.id, fu.id, input.attachmentIds, q);
      }
      const reopens = input.reopens ?? input.direction === 'inbound';
      const reopened = reopens ? await this.cases.applyReopenPolicy(actor, row, q) : null;
      const after = reopened ?? (await touchCase(q, row.id));
      await this.cases.announce(actor, after, reopened ? 'reopen' : 'followUp', row, q);
      await enqueueWebhook(q, 'follow_up.created', toFollowUp(fu));
      const added = { followUp: toFollowUp(fu), case: toCase(after), reopened: reopened !== null };
      if (notify.length > 0) await this.notifier!.send(added, q);
      if (this.onAdded) await this.onAdded(actor, added, q);
      return added;
    });
  }

  /**
   * Set by services.ts to the case-notices flow (src/flows/assignment-notices.ts):
   * called in the transaction of every follow-up added (a customer's reply notifies the owner).
   */
  onAdded: ((actor: Actor, added: FollowUpAdded, tx: Queryable) => Promise<void>) | null = null;

  /**
   * Set by services.ts to the follow-up notify flow (src/flows/follow-up-notify.ts),
   * for the Notify option: `check` refuses addresses a follow-up may not go to
   * (400 naming `notify`) before anything is written; `send` queues the mail,
   * both in the follow-up's transaction.
   */
  notifier: {
    check(visibility: 'public' | 'internal', addresses: string[], tx: Queryable): Promise<void>;
    send(added: FollowUpAdded, tx: Queryable): Promise<void>;
  } | null = null;

  /**
   * Set by services.ts to the email module's uploads (src/modules/email/uploads.ts,
   * which owns the files): gives the new follow-up the actor's pending uploads
   * `attachmentIds`, in the follow-up's transaction, or refuses them (400/413).
   */
  attachUploads:
    ((actor: Actor, caseId: string, followUpId: string, ids: string[], tx: Queryable) => Promise<void>) | null = null;

  async list(
    actor: Actor,
    caseId: string,
    opts: { order?: 'oldest' | 'newest'; limit?: number; cursor?: string; visibility?: 'public' | 'internal' },
  ): Promise<Page<FollowUp>> {
    const row = await visibleCase(this.db, actor, caseId);
    const limit = opts.limit ?? 50;
    const newestFirst = opts.order === 'newest';
    let afterSeq: number | null = null;
    if (opts.cursor) {
      const c = decodeCursor(opts.cursor, ['number']);
      afterSeq = c[0] as number;
    }
    const rows = await listFollowUps(this.db, row.id, {
      newestFirst,
      afterSeq,
      limit: limit + 1,
      visibility: opts.visibility,
    });
    return keysetPage(rows, limit, (last) => [last.seq], toFollowUp);
  }

  async get(actor: Actor, caseId: string, followUpId: string): Promise<FollowUp> {
    const row = await visibleCase(this.db, actor, caseId);
    const fu = isUuid(followUpId) ? await findFollowUp(this.db, row.id, followUpId) : null;
    if (!fu) throw new NotFound('Follow-up');
    return toFollowUp(fu);
  }
}

/** The Notify list without repeats (the same address in another case counts once), in the order given. */
function uniqueAddresses(list: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of list) {
    const a = raw.trim();
    if (a === '' || seen.has(a.toLowerCase())) continue;
    seen.add(a.toLowerCase());
    out.push(a);
  }
  return out;
}
