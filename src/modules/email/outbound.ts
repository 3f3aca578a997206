import { randomUUID } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { Config } from '../../config.js';
import { inTransaction, type Db, type Queryable } from '../../db/adapter.js';
import { emitEvent } from '../../events/outbox.js';
import { systemActor } from '../../http/actor.js';
import type { CasesService } from '../cases/service.js';
import * as outbox from './outbox-store.js';
import type { OutboxKind, OutboxRow } from './outbox-store.js';
import * as store from './store.js';
import { uploadFilesOfFollowUp } from './uploads.js';

/** When a failed attempt is tried again: after 1, 5, 15 minutes, 1, 3, 6, 12 hours; then given up. */
const RETRY_DELAYS_SECONDS = [60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600];
/** Rows one run of the sender handles (the rest wait for the next run). */
const BATCH = 20;
/** PGlite: how long a claimed row stays taken while its SMTP call runs. */
const LEASE_SECONDS = 300;

export interface Delivery {
  id: string;
  status: outbox.OutboxStatus;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  sentAt: string | null;
  notSentReason: string | null;
}

/** Why a queued message is not going anywhere; shown on the reply instead of a silent "queued". */
const NO_RELAY_REASON = 'no mail relay configured';

export function toDelivery(r: OutboxRow, relayConfigured: boolean): Delivery {
  return {
    id: r.id,
    status: r.status,
    attempts: r.attempts,
    lastError: r.last_error,
    nextAttemptAt: r.status === 'queued' ? r.next_attempt_at.toISOString() : null,
    sentAt: r.sent_at?.toISOString() ?? null,
    notSentReason: r.status === 'queued' && !relayConfigured ? NO_RELAY_REASON : null,
  };
}

export interface OutgoingMail {
  kind: OutboxKind;
  to: string[];
  cc?: string[];
  bcc?: string[];
  subject: string;
  /** The plain text (with `html`, the plain-text part derived from it). */
  body: string;
  /** A rich-text reply's sanitised HTML: sent as multipart/alternative with `body`. */
  html?: string | null;
  caseId?: string | null;
  followUpId?: string | null;
  inReplyTo?: string | null;
  references?: string[];
  /** Credentials and reset links: the body is not kept once sent. */
  sensitive?: boolean;
  /** A Message-ID made by newMessageId() (a reply's follow-up already names it). */
  messageId?: string;
}

interface SmtpError {
  message?: string;
  responseCode?: number;
  permanent?: boolean;
  response?: string;
}

/**
 * Email out (E2): rows written in the transaction of what they announce, sent
 * by a poller through the SMTP relay (SMTP_RELAY_URL).
 *
 * Exactly once across processes: on PostgreSQL a row is claimed with FOR
 * UPDATE SKIP LOCKED and marked sent in the same transaction, after the relay
 * accepted it; another process skips a locked row and a rolled-back claim
 * leaves it queued. The one window left is at-least-once: when the process
 * dies (or the commit fails) after the relay accepted the message and before
 * the commit, the row is sent again later, with the same Message-ID, which
 * lets the receiving side see it as the same message. On PGlite (one process
 * by design) a lease replaces the held transaction, so an SMTP call never
 * blocks the embedded database; the same window applies.
 */
export class OutboundMail {
  private transport: Transporter | null = null;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly cases: CasesService,
  ) {}

  /** Whether outgoing mail goes anywhere: SMTP_RELAY_URL is set. */
  get relayConfigured(): boolean {
    return Boolean(this.config.smtp.relayUrl);
  }

  get fromAddress(): string {
    return this.config.smtp.mailFrom;
  }

  /** A new Message-ID (without brackets) in our domain. */
  newMessageId(): string {
    const domain = this.config.smtp.mailFrom.split('@')[1]?.replace(/[^A-Za-z0-9.-]/g, '') || 'switchboard.local';
    return `sb.${randomUUID()}@${domain}`.toLowerCase();
  }

  /** Queues a message inside the caller's transaction; it leaves only if that transaction commits. */
  async enqueue(mail: OutgoingMail, tx?: Queryable): Promise<OutboxRow> {
    return inTransaction(this.db, tx, (tx) => this.insert(mail, tx));
  }

  private async insert(mail: OutgoingMail, tx: Queryable): Promise<OutboxRow> {
    const messageId = mail.messageId ?? this.newMessageId();
    let emailMessageId: string | null = null;
    if (mail.kind === 'reply') {
      // Kept as a message of the case's thread, so an answer to it finds the case by its headers.
      emailMessageId = await store.insertMessage(tx, {
        direction: 'outbound',
        dedupeKey: `mid:${messageId}`,
        messageId,
        inReplyTo: mail.inReplyTo ?? null,
        references: mail.references ?? [],
        fromAddress: this.fromAddress,
        subject: mail.subject,
        textBody: mail.body,
        htmlBody: mail.html ?? null,
        remoteImagesBlocked: false,
        raw: null,
        envelope: {},
      });
      if (emailMessageId && mail.caseId && mail.followUpId) {
        await store.linkMessage(tx, emailMessageId, mail.caseId, mail.followUpId);
      }
    }
    return outbox.insertOutbox(tx, {
      kind: mail.kind,
      caseId: mail.caseId ?? null,
      followUpId: mail.followUpId ?? null,
      emailMessageId,
      messageId,
      from: this.fromAddress,
      to: mail.to,
      cc: mail.cc ?? [],
      bcc: mail.bcc ?? [],
      subject: mail.subject,
      body: mail.body,
      html: mail.html ?? null,
      inReplyTo: mail.inReplyTo ?? null,
      references: mail.references ?? [],
      sensitive: mail.sensitive ?? false,
    });
  }

  private transporter(): Transporter {
    // One pooled connection, reused while the sender works through the queue.
    this.transport ??= nodemailer.createTransport({
      url: this.config.smtp.relayUrl!,
      pool: true,
      maxConnections: 1,
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 60_000,
    });
    return this.transport;
  }

  /** Builds the message as it goes on the wire (Bcc left out of the headers) and hands it to the relay. */
  private async send(row: OutboxRow): Promise<Buffer> {
    // A reply's attached files (email_uploads), as MIME parts.
    const files =
      row.kind === 'reply' && row.follow_up_id ? await uploadFilesOfFollowUp(this.db, row.follow_up_id) : [];
    const composer = new MailComposer({
      from: row.from_address,
      to: row.to_addresses,
      cc: row.cc_addresses,
      subject: row.subject,
      text: row.body,
      ...(row.html ? { html: row.html } : {}),
      ...(files.length
        ? {
            attachments: files.map((f) => ({
              filename: f.filename,
              contentType: f.content_type,
              content: Buffer.from(f.content),
            })),
          }
        : {}),
      messageId: `<${row.message_id}>`,
      ...(row.in_reply_to ? { inReplyTo: `<${row.in_reply_to}>` } : {}),
      ...(row.reference_ids.length ? { references: row.reference_ids.map((r) => `<${r}>`) } : {}),
      headers: row.kind === 'reply' ? {} : { 'Auto-Submitted': 'auto-generated' },
    });
    const raw = await composer.compile().build();
    await this.transporter().sendMail({
      envelope: {
        from: row.from_address,
        to: [...row.to_addresses, ...row.cc_addresses, ...row.bcc_addresses],
      },
      raw,
    });
    return raw;
  }

  /** Sends what is due (the poller's job); returns how many rows it handled. */
  async sendDue(): Promise<number> {
    if (!this.config.smtp.relayUrl) return 0;
    let handled = 0;
    for (; handled < BATCH; handled++) {
      const done = this.db.engine === 'postgres' ? await this.sendOneLocked() : await this.sendOneLeased();
      if (!done) break;
    }
    return handled;
  }

  private async sendOneLocked(): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const row = await outbox.claimDue(tx, 'lock', 0);
      if (!row) return false;
      // Another pool connection: the claim's transaction stays as it is.
      const visibility = await this.caseVisibility(row.case_id);
      const after = await this.record(tx, row, await this.trySend(row));
      await this.announce(tx, after, visibility);
      return true;
    });
  }

  private async sendOneLeased(): Promise<boolean> {
    const row = await outbox.claimDue(this.db, 'lease', LEASE_SECONDS);
    if (!row) return false;
    const visibility = await this.caseVisibility(row.case_id);
    // The SMTP call runs outside any transaction: PGlite has one connection for everything.
    const outcome = await this.trySend(row);
    await this.db.transaction(async (tx) => {
      const after = await this.record(tx, row, outcome);
      await this.announce(tx, after, visibility);
    });
    return true;
  }

  private async trySend(row: OutboxRow): Promise<{ raw: Buffer } | { error: string; retryIn: number | null }> {
    try {
      return { raw: await this.send(row) };
    } catch (err) {
      const e = err as SmtpError;
      const error = (e.response ?? e.message ?? String(err)).slice(0, 1000);
      return { error, retryIn: e.permanent === true ? null : (RETRY_DELAYS_SECONDS[row.attempts] ?? null) };
    }
  }

  /** Records an attempt's outcome with `q` (on PostgreSQL, the claim's own transaction). */
  private async record(
    q: Queryable,
    row: OutboxRow,
    outcome: { raw: Buffer } | { error: string; retryIn: number | null },
  ): Promise<OutboxRow> {
    if ('error' in outcome) return outbox.markAttemptFailed(q, row.id, outcome.error, outcome.retryIn);
    const after = await outbox.markSent(q, row.id);
    if (row.email_message_id) await store.setMessageRaw(q, row.email_message_id, outcome.raw);
    return after;
  }

  /** Tells consoles showing the case that a reply's delivery changed (private cases: only who may see them). */
  private async announce(tx: Queryable, row: OutboxRow, visibility: 'public' | 'private' | null): Promise<void> {
    if (!row.case_id || !row.follow_up_id || !visibility) return;
    await emitEvent(tx, {
      type: 'email.delivery',
      recordType: 'case',
      recordId: row.case_id,
      payload: { caseId: row.case_id, followUpId: row.follow_up_id, delivery: toDelivery(row, this.relayConfigured) },
      requires: visibility === 'private' ? ['cases.view', 'cases.viewPrivate'] : 'cases.view',
    });
  }

  private async caseVisibility(caseId: string | null): Promise<'public' | 'private' | null> {
    if (!caseId) return null;
    try {
      return (await this.cases.get(systemActor('email'), caseId)).visibility;
    } catch {
      return null;
    }
  }

  /** Puts a queued or failed row back to be tried now. */
  requeue(id: string, tx?: Queryable): Promise<OutboxRow | null> {
    return outbox.requeue(tx ?? this.db, id);
  }

  close(): void {
    this.transport?.close();
    this.transport = null;
  }
}
