import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import type { Db } from './db/adapter.js';
import type { EventHub } from './events/hub.js';
import { AuditService } from './modules/audit/service.js';
import { AuthService } from './modules/users/auth-service.js';
import { UsersService } from './modules/users/service.js';
import { CustomFieldsService } from './modules/custom-fields/service.js';
import { TasksService } from './modules/tasks/service.js';
import { RemindersService } from './modules/tasks/reminders.js';
import { taskReferences } from './modules/tasks/references.js';
import { CasesService } from './modules/cases/service.js';
import { CaseSettingsService } from './modules/cases/settings-service.js';
import { customerCheck } from './modules/cases/access.js';
import { CustomersService } from './modules/customers/service.js';
import { InteractionsService } from './modules/interactions/service.js';
import { EmailService } from './modules/email/service.js';
import { PortalService } from './modules/portal/service.js';
import { JobQueue } from './modules/jobs/queue.js';
import { ReportsService } from './modules/reports/service.js';
import { ExportsService } from './modules/exports/service.js';
import { WebhooksService } from './modules/webhooks/service.js';
import { CaseTimelineFlow } from './flows/case-timeline.js';
import { NotificationsService } from './modules/notifications/service.js';
import { CannedRepliesService } from './modules/canned-replies/service.js';
import { CaseViewsService } from './modules/case-views/service.js';
import { FaqsService } from './modules/faqs/service.js';
import { AssignmentNoticesFlow } from './flows/assignment-notices.js';
import { GlobalSearchFlow } from './flows/global-search.js';
import { NotificationMailFlow } from './flows/notification-mail.js';
import { WorkNoticesFlow } from './flows/work-notices.js';
import { FollowUpNotifyFlow } from './flows/follow-up-notify.js';
import { ConnectorsService } from './modules/connectors/service.js';
import { CrmConnectorsFlow } from './flows/crm-connectors.js';

/**
 * Every module's service, built once per process. A module reads another
 * module's data through that module's service, never its tables.
 */
export interface Services {
  users: UsersService;
  auth: AuthService;
  /** Custom field definitions; values are validated with validateCustomFields (custom-fields/validate.ts). */
  customFields: CustomFieldsService;
  tasks: TasksService;
  reminders: RemindersService;
  /** Cases; `cases.followUps` and `cases.addFollowUp(actor, caseId, input, tx?)` for follow-ups. */
  cases: CasesService;
  caseSettings: CaseSettingsService;
  customers: CustomersService;
  /** Interactions and screen pop: lookup, report, associate, wrap-up (`interactions.wrapUp.update`). */
  interactions: InteractionsService;
  /** The email channel: ingestion, replies, and `email.enqueue(tx, mail)` for mail other modules send. */
  email: EmailService;
  /** The Support Center: customers' portal access, sign-in, sessions, password resets. */
  portal: PortalService;
  /** The durable job queue: `jobs.registerJobKind(kind, handler)`, `jobs.enqueue(input, tx?)` (docs/ARCHITECTURE.md). */
  jobs: JobQueue;
  /** Reading the audit trail, its export and retention (writing is recordAudit in audit/service.ts). */
  audit: AuditService;
  /** Reports and the wallboard's figures, each with the list query behind it (docs/reports.md). */
  reports: ReportsService;
  /** Exports: streamed files of any object's rows from one snapshot (docs/exporting.md). */
  exports: ExportsService;
  /** Webhook endpoints and deliveries; other modules write events with `enqueueWebhook(tx, type, record)` (webhooks/outbox.ts). */
  webhooks: WebhooksService;
  /** One timeline per case: closed interactions and transcripts as follow-ups (src/flows/case-timeline.ts). */
  caseTimeline: CaseTimelineFlow;
  /** The per-user notification inbox: `notifications.notify(items, tx?)` (docs/agent-workflow.md). */
  notifications: NotificationsService;
  /** Case owner changes → notifications for the new and the previous owner (src/flows/assignment-notices.ts). */
  assignmentNotices: AssignmentNoticesFlow;
  /** Notifications of the kinds a user chose, also sent by email (src/flows/notification-mail.ts). */
  notificationMail: NotificationMailFlow;
  /** Reminders that fire and imports/exports that finish → their users' notifications (src/flows/work-notices.ts). */
  workNotices: WorkNoticesFlow;
  /** The Notify option: a follow-up emailed to the addresses the agent lists (src/flows/follow-up-notify.ts). */
  followUpNotify: FollowUpNotifyFlow;
  /** Shared and personal canned replies with placeholders (docs/canned-replies.md). */
  cannedReplies: CannedRepliesService;
  /** Saved case views: named Cases list filters shown as queues with counts (docs/case-views.md). */
  caseViews: CaseViewsService;
  /** The Support Center's FAQ articles (docs/email-and-support-center.md). */
  faqs: FaqsService;
  /** One search across customers, cases (follow-ups, emails), tasks and interactions (src/flows/global-search.ts). */
  globalSearch: GlobalSearchFlow;
  /** External CRM connectors: configuration, the pop's external sources, write-back jobs (docs/webhooks.md). */
  connectors: ConnectorsService;
  /** Connectors ↔ interactions: the pop's lookup order, ended interactions written back (src/flows/crm-connectors.ts). */
  crmConnectors: CrmConnectorsFlow;
}

export function buildServices(db: Db, config: Config, hub: EventHub, clock: Clock = systemClock): Services {
  const users = new UsersService(db, config);
  const customFields = new CustomFieldsService(db, config);
  const cases = new CasesService(db, users, clock);
  const caseSettings = new CaseSettingsService(db);
  const customers = new CustomersService(db, config);
  cases.customerExists = customerCheck(customers);
  const tasks = new TasksService(db, users, taskReferences({ customers, cases }), clock);
  const reminders = new RemindersService(db, clock);
  const interactions = new InteractionsService(db, config, { users, customers, cases, tasks });
  const email = new EmailService(db, config, { cases, customers, clock });
  cases.followUps.attachUploads = (actor, caseId, followUpId, ids, tx) =>
    email.attachUploads(actor, caseId, followUpId, ids, tx);
  const auth = new AuthService(db, config, users, clock, email);
  const portal = new PortalService(db, config, { customers, email });
  const jobs = new JobQueue(db, clock, { ...config.jobs, exclusiveDatabase: db.engine === 'pglite' });
  const audit = new AuditService(db);
  const reports = new ReportsService(db, clock, hub);
  const exports = new ExportsService(db, customFields);
  const webhooks = new WebhooksService(db, config, clock);
  const caseTimeline = new CaseTimelineFlow(db, { cases, interactions, users });
  const notifications = new NotificationsService(db);
  const assignmentNotices = new AssignmentNoticesFlow({ cases, users, notifications });
  const notificationMail = new NotificationMailFlow({ notifications, users, email, publicUrl: config.publicUrl });
  const workNotices = new WorkNoticesFlow({ reminders, jobs, notifications });
  const followUpNotify = new FollowUpNotifyFlow({ cases, users, email, publicUrl: config.publicUrl });
  const cannedReplies = new CannedRepliesService(db, clock, { cases, customers, users });
  const caseViews = new CaseViewsService(db, clock, { cases });
  const faqs = new FaqsService(db, clock, { portal });
  const globalSearch = new GlobalSearchFlow({ customers, cases, email, tasks, interactions });
  const connectors = new ConnectorsService(db, { webhooks, jobs }, clock);
  const crmConnectors = new CrmConnectorsFlow(config, { connectors, interactions, customers, users });
  return {
    users,
    auth,
    customFields,
    tasks,
    reminders,
    customers,
    cases,
    caseSettings,
    interactions,
    email,
    portal,
    jobs,
    audit,
    reports,
    exports,
    webhooks,
    caseTimeline,
    notifications,
    assignmentNotices,
    notificationMail,
    workNotices,
    followUpNotify,
    cannedReplies,
    caseViews,
    faqs,
    globalSearch,
    connectors,
    crmConnectors,
  };
}
