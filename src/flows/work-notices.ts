import type { Queryable } from '../db/adapter.js';
import type { Job, JobOutcome, JobQueue } from '../modules/jobs/queue.js';
import type { NotificationsService } from '../modules/notifications/service.js';
import type { ActiveReminder } from '../modules/tasks/schema.js';
import type { RemindersService } from '../modules/tasks/reminders.js';

interface WorkNoticesDeps {
  reminders: RemindersService;
  jobs: JobQueue;
  notifications: NotificationsService;
}

/** The job kinds whose end is worth telling their owner about: long runs they started and went away from. */
const TOLD_KINDS: Record<string, string> = { import: 'import', export: 'export' };

/**
 * Notifications that wait, for work (docs/agent-workflow.md): a task's
 * reminder that fires (reminder) and the end of an import or export
 * (job.finished, to the user who started it), each in the transaction of its
 * cause: the reminder poller's claim, the job's finishing transaction.
 */
export class WorkNoticesFlow {
  constructor(private readonly deps: WorkNoticesDeps) {
    deps.reminders.onFired = (fired, tx) => this.remindersFired(fired, tx);
    deps.jobs.onFinished = (job, outcome, tx) => this.jobFinished(job, outcome, tx);
  }

  async remindersFired(fired: (ActiveReminder & { userId: string })[], tx?: Queryable): Promise<void> {
    await this.deps.notifications.notify(
      fired.map((r) => ({
        userId: r.userId,
        kind: 'reminder' as const,
        recordType: 'task',
        recordId: r.taskId,
        title: r.kind === 'overdue' ? `Task overdue: ${r.subject}` : `Reminder: ${r.subject}`,
        payload: {
          reminderId: r.id,
          reminderKind: r.kind,
          subject: r.subject,
          dueAt: r.dueAt,
          caseId: r.caseId,
          customerId: r.customerId,
        },
      })),
      tx,
    );
  }

  async jobFinished(job: Job, outcome: JobOutcome, tx?: Queryable): Promise<void> {
    const what = TOLD_KINDS[job.kind];
    if (!what || !job.ownerId) return;
    // Cancelling your own job needs no notice.
    if (outcome.status === 'cancelled' && outcome.by === job.ownerId) return;
    const dryRun = job.params.dryRun === true;
    const subject = dryRun ? `The dry run of your ${what}` : `Your ${what}`;
    const title =
      outcome.status === 'succeeded'
        ? what === 'export' && !dryRun
          ? 'Your export is ready to download'
          : `${subject} finished`
        : outcome.status === 'failed'
          ? `${subject} failed`
          : `${subject} was cancelled`;
    await this.deps.notifications.notify(
      [
        {
          userId: job.ownerId,
          kind: 'job.finished',
          recordType: 'job',
          recordId: job.id,
          title,
          payload: {
            jobId: job.id,
            jobKind: job.kind,
            status: outcome.status,
            dryRun,
            ...(typeof job.params.importId === 'string' ? { importId: job.params.importId } : {}),
            ...(typeof job.params.object === 'string' ? { object: job.params.object } : {}),
            ...(outcome.status === 'failed' ? { error: outcome.error.slice(0, 500) } : {}),
          },
        },
      ],
      tx,
    );
  }
}
