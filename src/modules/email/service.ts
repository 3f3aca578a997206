import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import { inTransaction, type Db, type Queryable } from '../../db/adapter.js';
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
import { allowRemoteImages, replyHtml } from './sanitize.js';
import type { EmailStatus, OutboxItem, QuarantineItem, ReplyCreate, UploadedAttachment } from './schema.js';
import * as store from './store.js';
import { commandScanner } from './scan-command.js';
import * as uploads from './uploads.js';
import { type AttachmentScanner, FileRefused, FileTooLarge, formatBytes, noScanner } from './uploads.js';
import { isEmailAddress, tagSubject } from './text.js';

interface EmailDeps {
  cases: CasesService;
  customers: CustomersService;
  clock?: Clock;
}

/** One file of an upload request, as read from the multipart form. */
export interface IncomingFile {
  filename: string | undefined;
  contentType: string | undefined;
  content: Buffer;
  /** The form's part was cut at the per-file limit. */
  truncated: boolean;
}

function toUploaded(r: uploads.UploadRow): UploadedAttachment {
  return {
    id: r.id,
    caseId: r.case_id,
    followUpId: r.follow_up_id,
    filename: r.filename,
    contentType: r.content_type,
    size: Number(r.size),
    url: attachmentUrl(r.id),
    createdAt: r.created_at.toISOString(),
    expiresAt: r.expires_at?.toISOString() ?? null,
  };
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
  /**
   * The virus-scan seam: every uploaded file passes through it before it is
   * stored (docs/email-and-support-center.md). The default keeps everything;
   * a deployment (or a test) sets its own.
   */
  scanner: AttachmentScanner;
  private readonly clock: Clock;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly deps: EmailDeps,
    readonly limits: EmailLimits = DEFAULT_LIMITS,
  ) {
    this.inbound = new InboundMail(db, limits, deps.cases, deps.customers);
    this.outbound = new OutboundMail(db, config, deps.cases);
    this.clock = deps.clock ?? systemClock;
    this.scanner = config.attachments.scanCommand ? commandScanner(config.attachments.scanCommand) : noScanner;
  }

  /** Per-file and per-message limits of attachments on notes and replies (ATTACHMENT_MAX_BYTES, …_TOTAL_BYTES). */
  get uploadLimits(): { maxFileBytes: number; maxTotalBytes: number } {
    const { maxFileBytes, maxTotalBytes } = this.config.attachments;
    return { maxFileBytes, maxTotalBytes };
  }

  // ---------------------------------------------------------------- attachments on notes and replies

  /**
   * Files for a new follow-up on the case: size-checked, scanned, stored as
   * pending for this user and case (24 hours) until a note or reply names
   * them in `attachmentIds`. Nothing is stored unless every file passes.
   */
  async upload(actor: Actor, caseId: string, files: IncomingFile[]): Promise<UploadedAttachment[]> {
    requirePrivilege(actor, 'cases.view', 'cases.addFollowUp');
    if (!actor.userId) throw new Invalid([{ field: 'file', message: 'only a staff user can attach files' }]);
    const c = await this.deps.cases.get(actor, caseId);
    if (files.length === 0) throw new Invalid([{ field: 'file', message: 'the form has no file' }]);
    if (files.length > uploads.MAX_FILES_PER_MESSAGE) {
      throw new Invalid([
        { field: 'file', message: `at most ${uploads.MAX_FILES_PER_MESSAGE} files can be attached to one message` },
      ]);
    }
    const { maxFileBytes, maxTotalBytes } = this.uploadLimits;
    const clean = files.map((f) => ({
      filename: uploads.cleanFilename(f.filename),
      contentType: uploads.cleanContentType(f.contentType),
      content: f.content,
      truncated: f.truncated,
    }));
    for (const f of clean) {
      if (f.truncated || f.content.length > maxFileBytes) {
        throw new FileTooLarge(
          `"${f.filename}" is larger than ${formatBytes(maxFileBytes)}, the most one file can be.`,
        );
      }
    }
    const now = this.clock.now();
    const pending = await uploads.pendingBytes(this.db, c.id, actor.userId, now);
    const total = pending + clean.reduce((n, f) => n + f.content.length, 0);
    if (total > maxTotalBytes) {
      const name = clean.length === 1 ? `"${clean[0].filename}"` : 'These files';
      throw new FileTooLarge(
        `${name} would bring the files of this message to ${formatBytes(total)}; one message can carry at most ${formatBytes(maxTotalBytes)}.`,
      );
    }
    for (const f of clean) {
      let reason: string | null;
      try {
        reason = await this.scanner.scan({ filename: f.filename, contentType: f.contentType, content: f.content });
      } catch {
        reason = 'the file could not be scanned';
      }
      if (reason !== null) throw new FileRefused(f.filename, reason.slice(0, 300));
    }
    const userId = actor.userId;
    return this.db.transaction(async (tx) => {
      await uploads.deleteExpiredUploads(tx, now);
      const rows: uploads.UploadRow[] = [];
      for (const f of clean) rows.push(await uploads.insertUpload(tx, { caseId: c.id, uploadedBy: userId, ...f }, now));
      return rows.map(toUploaded);
    });
  }

  /** The follow-ups seam (FollowUpsService.attachUploads): the new follow-up takes the actor's pending uploads. */
  async attachUploads(actor: Actor, caseId: string, followUpId: string, ids: string[], tx?: Queryable): Promise<void> {
    if (!actor.userId || ids.some((id) => !isUuid(id))) {
      throw new Invalid([
        {
          field: 'attachmentIds',
          message: 'an attached file is unknown, expired or already sent with another message: attach it again',
        },
      ]);
    }
    const userId = actor.userId;
    await inTransaction(this.db, tx, (q) =>
      uploads.takeUploads(
        q,
        { caseId, followUpId, userId, ids, maxTotalBytes: this.uploadLimits.maxTotalBytes },
        this.clock.now(),
      ),
    );
  }

  /** The files attached to the case's follow-ups (the actor's view of the case: 404 for a case they may not see). */
  async caseAttachments(actor: Actor, caseId: string): Promise<UploadedAttachment[]> {
    requirePrivilege(actor, 'cases.view');
    const c = await this.deps.cases.get(actor, caseId);
    return (await uploads.uploadsOfCase(this.db, c.id)).map(toUploaded);
  }

  /**
   * The uploaded files of these follow-ups, by follow-up id: for a caller
   * that has already read the follow-ups through the cases module (the
   * Support Center's public follow-ups).
   */
  async uploadsOfFollowUps(actor: Actor, followUpIds: string[]): Promise<Map<string, UploadedAttachment[]>> {
    requirePrivilege(actor, 'cases.view');
    const byFollowUp = new Map<string, UploadedAttachment[]>();
    for (const r of await uploads.uploadsOfFollowUps(this.db, followUpIds)) {
      const list = byFollowUp.get(r.follow_up_id!) ?? [];
      list.push(toUploaded(r));
      byFollowUp.set(r.follow_up_id!, list);
    }
    return byFollowUp;
  }

  /** The attachments job: pending uploads past their expiry are deleted. */
  pruneUploads(): Promise<number> {
    return uploads.deleteExpiredUploads(this.db, this.clock.now());
  }

  /** An uploaded file, for whoever may see its follow-up (a pending one: only its uploader). */
  private async uploadDownload(actor: Actor, id: string, caseId?: string): Promise<AttachmentDownload | null> {
    const u = await uploads.findUpload(this.db, id);
    if (!u || (caseId !== undefined && u.case_id !== caseId)) return null;
    if (u.follow_up_id) {
      const fu = await this.deps.cases.followUps.get(actor, u.case_id, u.follow_up_id);
      if (caseId !== undefined && fu.visibility !== 'public') return null;
    } else {
      if (caseId !== undefined || u.uploaded_by !== actor.userId) return null;
      await this.deps.cases.get(actor, u.case_id);
    }
    const content = await uploads.uploadContent(this.db, u.id);
    if (!content) return null;
    return { filename: u.filename, contentType: u.content_type, size: Number(u.size), content };
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
  /**
   * The global search's email part (store.searchMessages): messages on cases holding the
   * words, newest first, at most `cap`. Not for display as they are: the cases module keeps
   * only those the caller may see (CasesService.search).
   */
  async searchMessages(
    actor: Actor,
    query: { text: string; words: string[]; cap: number },
  ): Promise<{ caseId: string; followUpId: string | null; excerpt: string; at: Date }[]> {
    requirePrivilege(actor, 'cases.view');
    return store.searchMessages(this.db, query.text, query.words, query.cap);
  }

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
    const rich = input.html !== undefined && input.html.trim() !== '' ? replyHtml(input.html) : null;
    const body = rich ? rich.text : input.body;
    if (body.trim() === '') throw new Invalid([{ field: 'html', message: 'the reply has no text' }]);
    return this.db.transaction(async (tx) => {
      const added = await this.deps.cases.addFollowUp(
        actor,
        c.id,
        {
          kind: 'email',
          direction: 'outbound',
          visibility: 'public',
          body,
          email: { from, to: clean(to), cc: clean(cc), bcc: clean(bcc), subject, messageId },
          ...(input.attachmentIds?.length ? { attachmentIds: input.attachmentIds } : {}),
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
          body,
          html: rich?.html ?? null,
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
    const attached = await uploads.uploadsOfFollowUps(this.db, [followUp.id]);
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
      attachments: attachments
        .map((a) => ({
          id: a.id,
          filename: a.filename,
          contentType: a.content_type,
          size: a.size,
          inline: a.inline,
          omitted: a.omitted,
          url: a.omitted ? null : attachmentUrl(a.id),
        }))
        .concat(
          attached.map((a) => ({
            id: a.id,
            filename: a.filename,
            contentType: a.content_type,
            size: Number(a.size),
            inline: false,
            omitted: false,
            url: attachmentUrl(a.id),
          })),
        ),
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
    if (!a && isUuid(id)) {
      const u = await this.uploadDownload(actor, id);
      if (u) return u;
    }
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
    if (!a && isUuid(id)) {
      const u = await this.uploadDownload(actor, id, caseId);
      if (u) return u;
    }
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
