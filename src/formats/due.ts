/**
 * When something due is late. Shared by the server (a task's `overdue`) and
 * the console (a reminder's title), so both draw the line at the same instant.
 */

/** Overdue only after the due time: at the due time itself it is due, not late. */
export function isOverdue(dueAt: Date | string, now: Date | number): boolean {
  const due = typeof dueAt === 'string' ? Date.parse(dueAt) : dueAt.getTime();
  const at = typeof now === 'number' ? now : now.getTime();
  return at > due;
}

/**
 * A reminder's title. The "overdue" reminder fires at the due time, so while
 * the due minute lasts it says "Due now" (due times are set in minutes); after
 * that, "Overdue".
 */
export function reminderTitle(kind: 'before' | 'overdue', dueAt: string | null, now: Date | number): string {
  if (kind === 'before') return 'Reminder';
  if (!dueAt) return 'Overdue';
  const at = typeof now === 'number' ? now : now.getTime();
  return isOverdue(new Date(Date.parse(dueAt) + 59_999), at) ? 'Overdue' : 'Due now';
}
