import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../../db/adapter.js';
import { systemActor } from '../../http/actor.js';
import { AppError } from '../../http/errors.js';
import type { CasesService } from '../cases/service.js';
import type { FollowUpAdded } from '../cases/followups-service.js';
import type { CustomersService } from '../customers/service.js';
import { MAX_CASE_DESCRIPTION, MAX_FOLLOW_UP_BODY, MAX_SUBJECT, type EmailLimits } from './limits.js';
import { MailParserPool, type ParsedAddress, type ParsedMail } from './parse.js';
import { messageIdsIn, normaliseMessageId, prescan, repairRaw, type Prescan, type PrescanOk } from './prescan.js';
import { sanitizeEmailHtml } from './sanitize.js';
import * as store from './store.js';
import {
  caseNumberInSubject,
  clean,
  cleanLine,
  formatAddress,
  lowerAddress,
  namesFromDisplayName,
  uniqueAddresses,
} from './text.js';

/** How a message reached us. `rcptTo` is the SMTP envelope's recipients (BCC are the ones not in To/CC). */
export interface Envelope {
  source: 'smtp' | 'http';
  mailFrom: string | null;
  rcptTo: string[];
  remoteAddress: string | null;
}

export type IngestResult =
  | {
      outcome: 'created';
      caseId: string;
      caseNumber: number;
      followUpId: string;
      customerId: string;
      customerCreated: boolean;
    }
  | { outcome: 'followUp'; caseId: string; caseNumber: number; followUpId: string; reopened: boolean }
  | { outcome: 'duplicate'; caseId: string | null; followUpId: string | null }
  | { outcome: 'quarantined'; quarantineId: string; reason: string };

type Processed = Exclude<IngestResult, { outcome: 'quarantined' }> | { outcome: 'failed'; reason: string };

class Duplicate extends Error {}

/** The URL an attachment is downloaded from (cid: images in the HTML point here). */
export const attachmentUrl = (id: string) => `/api/v1/email/attachments/${id}`;

const isUniqueViolation = (err: unknown) =>
  (err as { code?: string })?.code === '23505' || (err instanceof AppError && err.status === 409);

/**
 * Email in (E1, K3, F2): one path for the SMTP listener and the HTTP
 * endpoint. Pre-scan (bounds) → parse (worker, timeout) → thread → store in
 * one transaction, exactly once per Message-ID. Whatever fails is kept in
 * quarantine with the reason; only when even that cannot be written does
 * ingest throw (the SMTP listener then answers 451 and the sender retries).
 */
export class InboundMail {
  private readonly actor = systemActor('email', 'Email');
  readonly parser: MailParserPool;

  constructor(
    private readonly db: Db,
    readonly limits: EmailLimits,
    private readonly cases: CasesService,
    private readonly customers: CustomersService,
  ) {
    this.parser = new MailParserPool(limits);
  }

  async ingest(received: Buffer, envelope: Envelope): Promise<IngestResult> {
    const raw = repairRaw(received);
    const pre = prescan(raw, this.limits);
    const result = await this.process(raw, envelope, pre);
    if (result.outcome !== 'failed') return result;
    const q = await store.upsertQuarantine(this.db, {
      dedupeKey: pre.dedupeKey,
      reason: result.reason,
      source: envelope.source,
      envelope: { ...envelope },
      subject: pre.subject === null ? null : cleanLine(pre.subject, 1000),
      fromAddress: pre.from === null ? null : cleanLine(pre.from, 1000),
      raw,
    });
    return { outcome: 'quarantined', quarantineId: q.id, reason: q.reason };
  }

  /** Takes a message in, or answers why not (the caller quarantines). */
  async process(received: Buffer, envelope: Envelope, given?: Prescan): Promise<Processed> {
    const raw = given ? received : repairRaw(received);
    const pre = given ?? prescan(raw, this.limits);
    if (raw.length > this.limits.maxMessageBytes) {
      return { outcome: 'failed', reason: `the message is larger than ${this.limits.maxMessageBytes} bytes` };
    }
    const known = await store.findByDedupeKey(this.db, pre.dedupeKey);
    if (known) return { outcome: 'duplicate', caseId: known.case_id, followUpId: known.follow_up_id };
    if (!pre.ok) return { outcome: 'failed', reason: pre.reason };
    let mail: ParsedMail;
    try {
      mail = await this.parser.parse(raw);
    } catch (err) {
      return { outcome: 'failed', reason: (err as Error).message };
    }
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.store(raw, pre, mail, envelope);
      } catch (err) {
        if (err instanceof Duplicate) {
          const again = await store.findByDedupeKey(this.db, pre.dedupeKey);
          return { outcome: 'duplicate', caseId: again?.case_id ?? null, followUpId: again?.follow_up_id ?? null };
        }
        // Two messages from one new sender at once: the second finds the customer the first created.
        if (isUniqueViolation(err) && attempt < 2) continue;
        return { outcome: 'failed', reason: `the message could not be stored: ${(err as Error).message}` };
      }
    }
  }

  /** Where a message belongs: a case of the thread it answers, or of the case number in its subject. */
  private async threadCase(mail: ParsedMail, subject: string) {
    const ids = [normaliseMessageId(mail.inReplyTo), ...messageIdsIn(mail.references.join(' ')).reverse()].filter(
      (x): x is string => x !== null,
    );
    const byHeaders = await store.caseOfMessageIds(this.db, [...new Set(ids)]);
    if (byHeaders) {
      try {
        return await this.cases.get(this.actor, byHeaders);
      } catch {
        // the case is gone: fall through to the subject
      }
    }
    const n = caseNumberInSubject(subject);
    return n === null ? null : this.cases.getByNumber(this.actor, n);
  }

  private async store(raw: Buffer, pre: PrescanOk, mail: ParsedMail, envelope: Envelope): Promise<Processed> {
    const sender: ParsedAddress | null =
      mail.from[0] ?? (envelope.mailFrom ? { name: '', address: envelope.mailFrom } : null);
    const subject = cleanLine(mail.subject, 2000);
    const to = uniqueAddresses(mail.to);
    const cc = uniqueAddresses(mail.cc);
    const shown = new Set([...to, ...cc].map((a) => lowerAddress(a.address)));
    const bcc = uniqueAddresses([
      ...mail.bcc,
      ...envelope.rcptTo.filter((r) => !shown.has(lowerAddress(r))).map((address) => ({ name: '', address })),
    ]);

    const thread = await this.threadCase(mail, subject);
    const senderAddress = sender ? cleanLine(sender.address, 254) : '';
    const senderCustomer = senderAddress ? await this.customers.findByEmail(this.actor, senderAddress) : null;
    if (!thread && !senderAddress) return { outcome: 'failed', reason: 'the message has no sender address' };

    // Attachments get their ids now, so the HTML's cid: images can point at them.
    const attachments: store.NewAttachment[] = mail.attachments.map((a, i) => ({
      id: randomUUID(),
      position: i,
      filename: cleanLine(a.filename, 255) || `attachment-${i + 1}`,
      contentType: cleanLine(a.contentType, 255).toLowerCase() || 'application/octet-stream',
      contentId: a.contentId ? cleanLine(a.contentId, 1000) : null,
      inline: a.inline,
      size: a.size,
      content: a.content ? Buffer.from(a.content.buffer, a.content.byteOffset, a.content.byteLength) : null,
    }));
    const cids = new Map(
      attachments.filter((a) => a.contentId && a.content).map((a) => [a.contentId!.toLowerCase(), attachmentUrl(a.id)]),
    );
    const html =
      mail.html && mail.html.length <= this.limits.maxHtmlChars
        ? sanitizeEmailHtml(clean(mail.html), (cid) => cids.get(cid.toLowerCase()) ?? null)
        : null;
    const text = clean(mail.text ?? '');
    const messageId = pre.messageId ?? normaliseMessageId(mail.messageId);
    const email = {
      from: sender ? formatAddress(sender) : undefined,
      to: to.slice(0, 500).map(formatAddress),
      cc: cc.slice(0, 500).map(formatAddress),
      bcc: bcc.slice(0, 500).map(formatAddress),
      subject,
      messageId: messageId ?? undefined,
      date: mail.date ?? undefined,
      html: html !== null,
      remoteImagesBlocked: html?.remoteImagesBlocked ?? false,
      attachments: attachments.map((a) => ({
        id: a.id,
        filename: a.filename,
        contentType: a.contentType,
        size: a.size,
        inline: a.inline,
        omitted: a.content === null,
      })),
    };
    const body = text || (html ? '(HTML message)' : '(no text)');
    const author = {
      type: 'customer' as const,
      id: senderCustomer?.id ?? null,
      name: (sender && cleanLine(sender.name, 200)) || senderAddress || 'unknown sender',
    };

    return this.db.transaction(async (tx): Promise<Processed> => {
      const stored = await store.insertMessage(tx, {
        direction: 'inbound',
        dedupeKey: pre.dedupeKey,
        messageId,
        inReplyTo: normaliseMessageId(mail.inReplyTo),
        references: messageIdsIn(mail.references.join(' ')),
        fromAddress: senderAddress || null,
        subject,
        textBody: text,
        htmlBody: html?.html ?? null,
        remoteImagesBlocked: html?.remoteImagesBlocked ?? false,
        raw,
        envelope: { ...envelope },
      });
      if (!stored) throw new Duplicate();
      await store.insertAttachments(tx, stored, attachments);

      const followUp = {
        kind: 'email' as const,
        direction: 'inbound' as const,
        visibility: 'public' as 'public' | 'internal',
        body: body.slice(0, MAX_FOLLOW_UP_BODY),
        email: email as typeof email & { unverifiedSender?: boolean },
        author,
      };
      let added: FollowUpAdded;
      let result: Processed;
      let unverified = false;
      if (thread) {
        // Knowing a case number is not being its customer: a message from anyone else (not already on the
        // thread) is kept for an agent to review, never shown to the customer in the Support Center.
        unverified = !(
          (senderCustomer !== null && senderCustomer.id === thread.customerId) ||
          (senderAddress !== '' && (await store.addressOnThread(tx, thread.id, senderAddress)))
        );
        if (unverified) {
          followUp.visibility = 'internal';
          followUp.email = { ...email, unverifiedSender: true };
        }
        // Nor does it reopen a closed case.
        added = await this.cases.addFollowUp(this.actor, thread.id, { ...followUp, reopens: !unverified }, tx);
        result = {
          outcome: 'followUp',
          caseId: added.case.id,
          caseNumber: added.case.caseNumber,
          followUpId: added.followUp.id,
          reopened: added.reopened,
        };
      } else {
        const customer = senderCustomer ?? (await this.newCustomer(tx, sender!, senderAddress));
        const c = await this.cases.create(
          this.actor,
          {
            customerId: customer.id,
            subject: subject.slice(0, MAX_SUBJECT) || '(no subject)',
            description: body.slice(0, MAX_CASE_DESCRIPTION),
            visibility: 'public',
            channel: 'email',
          },
          tx,
        );
        added = await this.cases.addFollowUp(this.actor, c.id, { ...followUp, reopens: false }, tx);
        result = {
          outcome: 'created',
          caseId: c.id,
          caseNumber: c.caseNumber,
          followUpId: added.followUp.id,
          customerId: customer.id,
          customerCreated: !senderCustomer,
        };
      }
      await store.linkMessage(tx, stored, added.case.id, added.followUp.id, unverified);
      return result;
    });
  }

  /** An unknown sender becomes a customer named from the display name (a draft when the name is not whole). */
  private async newCustomer(tx: Queryable, sender: ParsedAddress, address: string) {
    const { firstName, lastName } = namesFromDisplayName(sender.name);
    const complete = Boolean(firstName && lastName);
    const input = { firstName, lastName, email: address, draft: !complete };
    try {
      return await this.customers.create(this.actor, input, tx);
    } catch (err) {
      // A complete record may still miss what an administrator requires (custom fields): keep it as a draft.
      if (complete && err instanceof AppError && err.status === 400) {
        return this.customers.create(this.actor, { ...input, draft: true }, tx);
      }
      throw err;
    }
  }
}
