import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { isOverdue, reminderTitle } from './due.js';

describe('overdue: only after the due time', () => {
  it('is not overdue at the due time, and is one millisecond later', () => {
    const clock = new ManualClock(new Date('2026-12-05T09:00:00.000Z'));
    const due = '2026-12-05T09:00:00.000Z';
    expect(isOverdue(due, clock.now())).toBe(false);
    clock.advance(1);
    expect(isOverdue(due, clock.now())).toBe(true);
    expect(isOverdue(new Date(due), Date.parse(due) - 1)).toBe(false);
  });
  it('a reminder that fires at the due time says "Due now", then "Overdue" once the due minute has passed', () => {
    const clock = new ManualClock(new Date('2026-12-05T09:00:00.000Z'));
    const due = clock.now().toISOString();
    expect(reminderTitle('overdue', due, clock.now())).toBe('Due now');
    clock.advance(59_999);
    expect(reminderTitle('overdue', due, clock.now())).toBe('Due now');
    clock.advance(1);
    expect(reminderTitle('overdue', due, clock.now())).toBe('Overdue');
    expect(reminderTitle('before', due, clock.now())).toBe('Reminder');
  });
});
