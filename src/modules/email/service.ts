import type { AddressInfo } from 'node:net';
import type { Config } from '../../config.js';
import type { Db, Queryable } from '../../db/adapter.js';
import { type Actor, requirePrivilege, systemActor } from '../../http/actor.js';
import { Invalid, NotFound } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import { decodeCursor, keysetPage, type Page } from '../../http/pagination.js';
import type { CasesService } from '../cases/service.js';
import type { FollowUp } from '../cases/schema.js';
import type { CustomersService } from '../customers/service.js';
import { attachmentUrl, InboundMail, type Envelope, type IngestResult } from './ingest.js';
import { DEFAULT_LIMITS, type EmailLimits } from './limits.js';
import { OutboundMail, toDelivery, type Delivery, type OutgoingMail } from './outbound.js';
import * as outbox from './outbox-store.js';
import type { OutboxRow } from './outbox-store.js';
import { allowRemoteImages } from './sanitize.js';
import type { EmailStatus, OutboxItem, QuarantineItem, ReplyCreate } from './schema.js';
import * as store from './store.js';
import { isEmailAddress, tagSubject } from './text.js';

interface EmailDeps {
  cases: CasesService;
  customers: CustomersService;
}

export interface AttachmentDownload {
  filename: string;
  contentType: string;
  size: number;
  content: Buffer;
}

function toQuarantineItem(r: store.QuarantineRow): QuarantineItem {
  return {
    id: r.id,
    status: r.status,
    reason: r.reason,
    source: r.source,
    envelope: r.envelope,
    subject: r.subject,
    from: r.from_address,
    size: r.size,
    deliveries: r.deliveries,
    attempts: r.attempts,
    resolvedCaseId: r.resolved_case_id,
    resolvedFollowUpId: r.resolved_follow_up_id,
    receivedAt: r.received_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

function toOutboxItem(r: OutboxRow): OutboxItem {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    caseId: r.case_id,
    followUpId: r.follow_up_id,
    messageId: r.message_id,
    to: r.to_addresses,
    cc: r.cc_addresses,
    bcc: r.bcc_addresses,
    subject: r.subject,
    attempts: r.attempts,
    lastError: r.last_error,
    nextAttemptAt: r.status === 'queued' ? r.next_attempt_at.toISOString() : null,
    sentAt: r.sent_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
  };
}

/**
 * The email channel (E1, E2, K3, F2): inbound ingestion, agent replies, the
 * outbox other modules (the Support Center) queue mail through, and the
 * administrator's quarantine. Access checks begin every method; record-level
 * access to a message is the access to its case (cases.view, private cases
 * only with cases.viewPrivate).
 */
export class EmailService {
  readonly inbound: InboundMail;
  readonly outbound: OutboundMail;
  /** Where the SMTP listener listens, once started (SMTP_LISTEN_PORT=0 picks a free port). */
  smtpAddress: AddressInfo | null = null;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly deps: EmailDeps,
    readonly limits: EmailLimits = DEFAULT_LIMITS,
  ) {
    this.inbound = new InboundMail(db, limits, deps.cases, deps.customers);
    this.outbound = new OutboundMail(db, config, deps.cases);
  }

  /** One raw message from the SMTP listener (no actor: the listener is the system's door). */
  ingest(raw: Buffer, envelope: Envelope): Promise<IngestResult> {
    return this.inbound.ingest(raw, envelope);
  }

  /**
   * POST /api/v1/email/inbound: an integration posting a raw message. It
   * creates customers and cases, so it takes a key with the `email.ingest`
   * scope (only an administrator makes one) or an administrator.
   */
  ingestAs(actor: Actor, raw: Buffer, envelope: Envelope): Promise<IngestResult> {
    if (!(actor.kind === 'apiKey' && actor.scopes.includes('email.ingest'))) requirePrivilege(actor, 'admin');
    return this.inbound.ingest(raw, envelope);
  }

  /** Queues mail inside the caller's transaction (credentials, password resets, notifications). */
  enqueue(mail: OutgoingMail, tx?: Queryable): Promise<OutboxRow> {
    return this.outbound.enqueue(mail, tx);
  }

  /** Whether outgoing mail goes anywhere (SMTP_RELAY_URL is set); without a relay it stays queued. */
  get relayConfigured(): boolean {
    return this.outbound.relayConfigured;
  }

  /** GET /api/v1/email/status: is a relay configured, and how the outbox stands (administrators). */
  async status(actor: Actor): Promise<EmailStatus> {
    requirePrivilege(actor, 'admin');
    const s = await outbox.outboxSummary(this.db);
    return {
      relayConfigured: this.relayConfigured,
      outbox: { queued: s.queued, sent: s.sent, failed: s.failed },
      oldestQueuedAt: s.oldestQueuedAt ? new Date(s.oldestQueuedAt).toISOString() : null,
    };
  }

  /** The sender job: what is due goes to the relay. */
  sendDue(): Promise<number> {
    return this.outbound.sendDue();
  }

  /**
   * An agent's reply (E2): a public email follow-up on the case and its
   * outbox row, in one transaction; the sender job delivers it.
   */
  async reply(actor: Actor, caseId: string, input: ReplyCreate): Promise<{ followUp: FollowUp; delivery: Delivery }> {
    requirePrivilege(actor, 'cases.view', 'cases.addFollowUp');
    const c = await this.deps.cases.get(actor, caseId);
    let to = input.to ?? [];
    if (to.length === 0) {
      const customer = await this.deps.customers.get(systemActor('email'), c.customerId).catch(() => null);
      if (!customer?.email) {
        throw new Invalid([{ field: 'to', message: "the customer has no email address: give one or more 'to'" }]);
      }
      to = [customer.email];
    }
    const cc = input.cc ?? [];
    const bcc = input.bcc ?? [];
    const errors: { field: string; message: string }[] = [];
    for (const [field, list] of [
      ['to', to],
      ['cc', cc],
      ['bcc', bcc],
    ] as const) {
      list.forEach((a, i) => {
        if (!isEmailAddress(a.trim())) errors.push({ field: `${field}.${i}`, message: 'not an email address' });
      });
    }
    if (errors.length) throw new Invalid(errors);
    const clean = (l: string[]) => [...new Set(l.map((a) => a.trim()))];
    const subject = tagSubject(input.subject?.trim() || `Re: ${c.subject}`, c.caseNumber);
    const thread = await store.caseThread(this.db, c.id);
    const lastInbound = [...thread].reverse().find((m) => m.direction === 'inbound') ?? thread[thread.length - 1];
    const messageId = this.outbound.newMessageId();
    const from = this.outbound.fromAddress;
    return this.db.transaction(async (tx) => {
      const added = await this.deps.cases.addFollowUp(
        actor,
        c.id,
        {
          kind: 'email',
          direction: 'outbound',
          visibility: 'public',
          body: input.body,
          email: { from, to: clean(to), cc: clean(cc), bcc: clean(bcc), subject, messageId },
        },
        tx,
      );
      const row = await this.outbound.enqueue(
        {
          kind: 'reply',
          to: clean(to),
          cc: clean(cc),
          bcc: clean(bcc),
          subject,
          body: input.body,
          caseId: c.id,
          followUpId: added.followUp.id,
          inReplyTo: lastInbound?.message_id ?? null,
          references: thread.map((m) => m.message_id),
          messageId,
        },
        tx,
      );
      return { followUp: added.followUp, delivery: toDelivery(row, this.relayConfigured) };
    });
  }

  /** The follow-up (through the cases module: 404 for what the actor may not see) and its stored message. */
  private async messageOf(actor: Actor, caseId: string, followUpId: string) {
    const followUp = await this.deps.cases.followUps.get(actor, caseId, followUpId);
    const message = await store.messageOfFollowUp(this.db, followUp.id);
    return { followUp, message };
  }

  /** The raw message, for "view source" (K3). */
  async source(actor: Actor, caseId: string, followUpId: string): Promise<Buffer> {
    requirePrivilege(actor, 'cases.view');
    const { followUp } = await this.messageOf(actor, caseId, followUpId);
    const raw = await store.rawOfFollowUp(this.db, followUp.id);
    if (!raw) throw new NotFound('Message source');
    return raw;
  }

  /** The stored email of a follow-up: sanitised HTML, text, attachments and (for replies) the delivery. */
  async details(actor: Actor, caseId: string, followUpId: string, opts: { remoteImages?: 'block' | 'show' } = {}) {
    requirePrivilege(actor, 'cases.view');
    const { followUp, message } = await this.messageOf(actor, caseId, followUpId);
    if (!message) throw new NotFound('Email');
    const attachments = await store.attachmentsOfMessage(this.db, message.id);
    const delivery = await outbox.outboxOfFollowUp(this.db, followUp.id);
    const html =
      message.html_body !== null && opts.remoteImages === 'show' && message.remote_images_blocked
        ? allowRemoteImages(message.html_body)
        : message.html_body;
    return {
      followUpId: followUp.id,
      direction: message.direction,
      messageId: message.message_id,
      inReplyTo: message.in_reply_to,
      references: message.reference_ids,
      subject: message.subject,
      text: message.text_body,
      html,
      remoteImagesBlocked: message.remote_images_blocked && opts.remoteImages !== 'show',
      attachments: attachments.map((a) => ({
        id: a.id,
        filename: a.filename,
        contentType: a.content_type,
        size: a.size,
        inline: a.inline,
        omitted: a.omitted,
        url: a.omitted ? null : attachmentUrl(a.id),
      })),
      delivery: delivery ? toDelivery(delivery, this.relayConfigured) : null,
      receivedAt: message.created_at.toISOString(),
    };
  }

  /** The delivery of a reply: queued / sent / failed, attempts, last error. */
  async delivery(actor: Actor, caseId: string, followUpId: string): Promise<Delivery> {
    requirePrivilege(actor, 'cases.view');
    const followUp = await this.deps.cases.followUps.get(actor, caseId, followUpId);
    const row = await outbox.outboxOfFollowUp(this.db, followUp.id);
    if (!row) throw new NotFound('Delivery');
    return toDelivery(row, this.relayConfigured);
  }

  /** An attachment, for whoever may see its case (cases.view; private cases with cases.viewPrivate). */
  async attachment(actor: Actor, id: string): Promise<AttachmentDownload> {
    requirePrivilege(actor, 'cases.view');
    const a = isUuid(id) ? await store.findAttachment(this.db, id) : null;
    if (!a || !a.case_id || !a.follow_up_id || a.omitted) throw new NotFound('Attachment');
    await this.deps.cases.followUps.get(actor, a.case_id, a.follow_up_id);
    const content = await store.attachmentContent(this.db, a.id);
    if (!content) throw new NotFound('Attachment');
    return { filename: a.filename, contentType: a.content_type, size: a.size, content };
  }

  /**
   * An attachment of a public follow-up of this case, for the Support Center
   * (which has checked that the case is the customer's own and public).
   */
  async publicAttachmentOfCase(actor: Actor, caseId: string, id: string): Promise<AttachmentDownload> {
    requirePrivilege(actor, 'cases.view');
    const a = isUuid(id) ? await store.findAttachment(this.db, id) : null;
    if (!a || a.case_id !== caseId || !a.follow_up_id || a.omitted) throw new NotFound('Attachment');
    const fu = await this.deps.cases.followUps.get(actor, caseId, a.follow_up_id);
    if (fu.visibility !== 'public') throw new NotFound('Attachment');
    const content = await store.attachmentContent(this.db, a.id);
    if (!content) throw new NotFound('Attachment');
    return { filename: a.filename, contentType: a.content_type, size: a.size, content };
  }

  // ---------------------------------------------------------------- administration

  async listQuarantine(
    actor: Actor,
    q: { status?: 'held' | 'resolved'; limit?: number; cursor?: string },
  ): Promise<Page<QuarantineItem>> {
    requirePrivilege(actor, 'admin');
    const limit = q.limit ?? 50;
    let after: [string, string] | null = null;
    if (q.cursor) {
      const c = decodeCursor(q.cursor, ['date', 'string']);
      if (!isUuid(c[1])) throw new Invalid([{ field: 'cursor', message: 'not a cursor from this list' }]);
      after = [c[0] as string, c[1] as string];
    }
    const rows = await store.listQuarantine(this.db, q.status ?? 'held', after, limit + 1);
    return keysetPage(rows, limit, (last) => [last.sort_key, last.id], toQuarantineItem);
  }

  async getQuarantine(actor: Actor, id: string): Promise<QuarantineItem> {
    requirePrivilege(actor, 'admin');
    const row = isUuid(id) ? await store.findQuarantine(this.db, id) : null;
    if (!row) throw new NotFound('Quarantined message');
    return toQuarantineItem(row);
  }

  async quarantineSource(actor: Actor, id: string): Promise<Buffer> {
    requirePrivilege(actor, 'admin');
    const raw = isUuid(id) ? await store.quarantineRaw(this.db, id) : null;
    if (!raw) throw new NotFound('Quarantined message');
    return raw;
  }

  /** Runs a held message through ingestion again (after a fix, or a transient failure). */
  async retryQuarantine(actor: Actor, id: string): Promise<{ item: QuarantineItem; result: IngestResult | null }> {
    requirePrivilege(actor, 'admin');
    const row = isUuid(id) ? await store.findQuarantine(this.db, id) : null;
    if (!row) throw new NotFound('Quarantined message');
    if (row.status === 'resolved') return { item: toQuarantineItem(row), result: null };
    const raw = (await store.quarantineRaw(this.db, id))!;
    const env = row.envelope as Partial<Envelope>;
    const envelope: Envelope = {
      source: row.source,
      mailFrom: typeof env.mailFrom === 'string' ? env.mailFrom : null,
      rcptTo: Array.isArray(env.rcptTo) ? env.rcptTo.filter((r): r is string => typeof r === 'string') : [],
      remoteAddress: typeof env.remoteAddress === 'string' ? env.remoteAddress : null,
    };
    const result = await this.inbound.process(raw, envelope);
    if (result.outcome === 'failed') {
      const after = await store.quarantineRetried(this.db, id, { reason: result.reason });
      return {
        item: toQuarantineItem(after),
        result: { outcome: 'quarantined', quarantineId: id, reason: result.reason },
      };
    }
    const after = await store.quarantineRetried(this.db, id, {
      caseId: result.caseId,
      followUpId: result.followUpId,
    });
    return { item: toQuarantineItem(after), result };
  }

  async listOutbox(
    actor: Actor,
    q: { status?: 'queued' | 'sent' | 'failed'; limit?: number; cursor?: string },
  ): Promise<Page<OutboxItem>> {
    requirePrivilege(actor, 'admin');
    const limit = q.limit ?? 50;
    let after: [string, string] | null = null;
    if (q.cursor) {
      const c = decodeCursor(q.cursor, ['date', 'string']);
      if (!isUuid(c[1])) throw new Invalid([{ field: 'cursor', message: 'not a cursor from this list' }]);
      after = [c[0] as string, c[1] as string];
    }
    const rows = await outbox.listOutbox(this.db, q.status ?? null, after, limit + 1);
    return keysetPage(rows, limit, (last) => [last.sort_key, last.id], toOutboxItem);
  }

  /** An administrator's "try again now" for a queued or failed message (a sent one stays sent). */
  async retryOutbox(actor: Actor, id: string): Promise<OutboxItem> {
    requirePrivilege(actor, 'admin');
    const row = isUuid(id) ? await outbox.findOutbox(this.db, id) : null;
    if (!row) throw new NotFound('Outgoing message');
    const after = await this.outbound.requeue(id);
    if (!after) throw new Invalid([{ field: 'status', message: `a ${row.status} message cannot be sent again` }]);
    return toOutboxItem(after);
  }

  async close(): Promise<void> {
    await this.inbound.parser.close();
    this.outbound.close();
  }
}
