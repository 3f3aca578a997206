import type { Actor } from '../../http/actor.js';
import { NotFound } from '../../http/errors.js';
import type { Page } from '../../http/pagination.js';
import type { Case, FollowUp } from '../cases/schema.js';
import type { CasesService } from '../cases/service.js';
import type { Customer } from '../customers/schema.js';
import type { AttachmentDownload, EmailService } from '../email/service.js';
import type { PortalCase, PortalCaseCreate, PortalFollowUp } from './schema.js';

/**
 * The actor a signed-in customer acts as: cases only (view, open, add a
 * follow-up), no private cases (no cases.viewPrivate), channel "portal". Every
 * method below also checks that the case is the customer's own: a case of
 * someone else, private, or unknown is the same 404.
 */
function portalActor(customer: Pick<Customer, 'id' | 'displayName'>): Actor {
  return {
    kind: 'system',
    userId: null,
    name: `${customer.displayName} (Support Center)`,
    role: null,
    privileges: new Set(['cases.view', 'cases.create', 'cases.addFollowUp'] as const),
    channel: 'portal',
    scopes: ['full'],
  };
}

function toPortalCase(c: Case): PortalCase {
  return {
    id: c.id,
    caseNumber: c.caseNumber,
    subject: c.subject,
    description: c.description,
    status: c.status,
    isOpen: c.isOpen,
    channel: c.channel,
    openedAt: c.openedAt,
    closedAt: c.closedAt,
    updatedAt: c.updatedAt,
  };
}

interface StoredAttachment {
  id?: unknown;
  filename?: unknown;
  contentType?: unknown;
  size?: unknown;
  inline?: unknown;
  omitted?: unknown;
}

/** A follow-up as the customer sees it: no Bcc, no agent ids, no custom fields. */
function toPortalFollowUp(f: FollowUp, customerId: string): PortalFollowUp {
  const e = f.email;
  const extra = (e ?? {}) as Record<string, unknown>;
  const stored = (Array.isArray(extra.attachments) ? extra.attachments : []) as StoredAttachment[];
  return {
    id: f.id,
    kind: f.kind,
    direction: f.direction,
    body: f.body,
    author: { type: f.author.type, name: f.author.name },
    fromMe: f.author.type === 'customer' && f.author.id === customerId,
    email: e ? { from: e.from, to: e.to, cc: e.cc, subject: e.subject } : null,
    attachments: stored
      .filter((a) => typeof a.id === 'string' && !a.omitted)
      .map((a) => ({
        id: String(a.id),
        filename: String(a.filename ?? 'attachment'),
        contentType: String(a.contentType ?? 'application/octet-stream'),
        size: Number(a.size ?? 0),
        url: `/api/portal/cases/${f.caseId}/attachments/${String(a.id)}`,
      })),
    createdAt: f.createdAt,
  };
}

/** S2: the customer's own public cases and public follow-ups; opening a case; replying. */
export class PortalCases {
  constructor(private readonly deps: { cases: CasesService; email: EmailService }) {}

  /** The case when it is this customer's and public; else 404. */
  private async ownCase(customer: Customer, caseId: string): Promise<Case> {
    const c = await this.deps.cases.get(portalActor(customer), caseId).catch(() => null);
    if (!c || c.customerId !== customer.id || c.visibility !== 'public') throw new NotFound('Case');
    return c;
  }

  async list(customer: Customer, q: { limit?: number; cursor?: string }): Promise<Page<PortalCase>> {
    const page = await this.deps.cases.list(portalActor(customer), {
      customerId: customer.id,
      visibility: 'public',
      sort: '-updatedAt',
      limit: q.limit ?? 50,
      cursor: q.cursor,
    });
    return {
      items: page.items.filter((c) => c.customerId === customer.id).map(toPortalCase),
      nextCursor: page.nextCursor,
    };
  }

  async get(customer: Customer, caseId: string): Promise<PortalCase> {
    return toPortalCase(await this.ownCase(customer, caseId));
  }

  async followUps(
    customer: Customer,
    caseId: string,
    q: { limit?: number; cursor?: string },
  ): Promise<Page<PortalFollowUp>> {
    const c = await this.ownCase(customer, caseId);
    const page = await this.deps.cases.followUps.list(portalActor(customer), c.id, {
      order: 'oldest',
      visibility: 'public',
      limit: q.limit ?? 50,
      cursor: q.cursor,
    });
    const items = page.items.filter((f) => f.visibility === 'public');
    // Files staff attached to public notes and replies, downloadable like an email's.
    const uploaded = await this.deps.email.uploadsOfFollowUps(
      portalActor(customer),
      items.map((f) => f.id),
    );
    return {
      items: items.map((f) => {
        const view = toPortalFollowUp(f, customer.id);
        for (const u of uploaded.get(f.id) ?? []) {
          view.attachments.push({
            id: u.id,
            filename: u.filename,
            contentType: u.contentType,
            size: u.size,
            url: `/api/portal/cases/${f.caseId}/attachments/${u.id}`,
          });
        }
        return view;
      }),
      nextCursor: page.nextCursor,
    };
  }

  /** A new case from the Support Center: public, channel portal, the customer's own. */
  async open(customer: Customer, input: PortalCaseCreate): Promise<PortalCase> {
    const c = await this.deps.cases.create(portalActor(customer), {
      customerId: customer.id,
      subject: input.subject.trim() || '(no subject)',
      description: input.body,
      visibility: 'public',
      channel: 'portal',
    });
    return toPortalCase(c);
  }

  /** The customer's reply: a public inbound follow-up (reopening a closed case as the policy says). */
  async reply(
    customer: Customer,
    caseId: string,
    body: string,
  ): Promise<{ followUp: PortalFollowUp; case: PortalCase }> {
    const c = await this.ownCase(customer, caseId);
    const added = await this.deps.cases.addFollowUp(portalActor(customer), c.id, {
      kind: 'note',
      visibility: 'public',
      direction: 'inbound',
      body,
      author: { type: 'customer', id: customer.id, name: customer.displayName },
    });
    return { followUp: toPortalFollowUp(added.followUp, customer.id), case: toPortalCase(added.case) };
  }

  async attachment(customer: Customer, caseId: string, attachmentId: string): Promise<AttachmentDownload> {
    const c = await this.ownCase(customer, caseId);
    return this.deps.email.publicAttachmentOfCase(portalActor(customer), c.id, attachmentId);
  }
}
