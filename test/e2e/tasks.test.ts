import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  expectAccessible,
  launchBrowser,
  newContext,
  screenshot,
  signIn,
  startServer,
  watchErrors,
  type E2EServer,
} from './harness.js';

interface Task {
  id: string;
  subject: string;
  remindAt: string | null;
  dueAt: string | null;
  status: string;
}

const pad = (n: number) => String(n).padStart(2, '0');
/** "YYYY-MM-DDTHH:mm" in UTC (the browser runs with timezoneId UTC). */
const localInput = (d: Date) =>
  `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;

describe('tasks and reminders in the console (browser)', () => {
  let server: E2EServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let customerId: string;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    const c = await server.admin.ok<{ id: string }>('POST', '/api/v1/customers', {
      firstName: 'Margaret',
      lastName: 'Hamilton',
      phones: [{ type: 'work', number: '+1 617 555 0199' }],
    });
    customerId = c.id;
    context = await newContext(browser);
    await context.grantPermissions(['notifications'], { origin: server.url });
    // Record desktop notifications; pretend the console is in a background tab so it sends them.
    await context.addInitScript(() => {
      const w = window as unknown as { __notes: string[]; Notification: unknown };
      w.__notes = [];
      const Real = window.Notification;
      class Recorder {
        static get permission() {
          return Real.permission;
        }
        static requestPermission() {
          return Real.requestPermission();
        }
        onclick: unknown = null;
        constructor(title: string) {
          w.__notes.push(title);
        }
      }
      w.Notification = Recorder;
      document.hasFocus = () => false;
    });
    page = await context.newPage();
    errors = watchErrors(page);
    await signIn(page, server.url);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('creates a call-back with a reminder a minute ahead and pops the reminder when it falls due', async () => {
    await page.goto(`${server.url}/customers/${customerId}?tab=tasks`);
    await page.getByRole('button', { name: 'Schedule call-back' }).click();
    const dialog = page.getByRole('dialog', { name: 'Schedule a call-back to Margaret Hamilton' });
    await dialog.waitFor();
    expect(await dialog.getByLabel('Subject').inputValue()).toBe('Call back Margaret Hamilton');
    // The reminder: the next whole minute at least ten seconds away (inputs have minute precision).
    let remind = new Date(Math.floor((Date.now() + 60_000) / 60_000) * 60_000);
    if (remind.getTime() - Date.now() < 10_000) remind = new Date(remind.getTime() + 60_000);
    const due = new Date(remind.getTime() + 15 * 60_000);
    await dialog.getByLabel('Due').fill(localInput(due));
    await dialog.getByLabel('Reminder').selectOption('at');
    await dialog.getByLabel('Remind at').fill(localInput(remind));
    await expectAccessible(page, 'new task');
    await dialog.getByRole('button', { name: 'Create task' }).click();
    await page.getByRole('list', { name: 'Tasks' }).getByText('Call back Margaret Hamilton').waitFor();
    const tasks = await server.admin.ok<{ items: Task[] }>('GET', `/api/v1/tasks?customerId=${customerId}`);
    expect(tasks.items).toHaveLength(1);
    expect(new Date(tasks.items[0].remindAt!).getTime()).toBe(remind.getTime());
    expect(await page.locator('.reminders [role="alert"]').count()).toBe(0);
    await screenshot(page, 'task-created');

    // It pops up on time, live.
    const popup = page.locator(`[data-reminder="${tasks.items[0].id}"]`);
    await popup.waitFor({ timeout: 100_000 });
    expect(Date.now()).toBeGreaterThanOrEqual(remind.getTime());
    expect(await popup.textContent()).toContain('Reminder: Call back Margaret Hamilton');
    expect(await page.evaluate(() => (window as unknown as { __notes: string[] }).__notes)).toEqual([
      'Reminder: Call back Margaret Hamilton',
    ]);
    await expectAccessible(page, 'reminder pop-up');
    await screenshot(page, 'reminder-popup');

    // Snooze takes it down (and the server keeps it pending).
    await popup.getByRole('button', { name: 'Snooze 10 min' }).click();
    await popup.waitFor({ state: 'detached' });
    const active = await server.admin.ok<{ items: unknown[] }>('GET', '/api/v1/reminders');
    expect(active.items).toEqual([]);
  }, 150_000);

  it('shows reminders that fell due while the console was closed, and dismisses them', async () => {
    await page.close();
    const t = await server.admin.ok<Task>('POST', '/api/v1/tasks', {
      type: 'call',
      subject: 'Late reminder',
      customerId,
      dueAt: new Date(Date.now() + 3600_000).toISOString(),
      remindAt: new Date(Date.now() + 500).toISOString(),
    });
    for (let i = 0; i < 100; i++) {
      const a = await server.admin.ok<{ items: { taskId: string }[] }>('GET', '/api/v1/reminders');
      if (a.items.some((r) => r.taskId === t.id)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    page = await context.newPage();
    errors = watchErrors(page);
    await page.goto(`${server.url}/tasks`);
    const popup = page.locator(`[data-reminder="${t.id}"]`);
    await popup.waitFor();
    await popup.getByRole('button', { name: 'Dismiss' }).click();
    await popup.waitFor({ state: 'detached' });
    const active = await server.admin.ok<{ items: { taskId: string }[] }>('GET', '/api/v1/reminders');
    expect(active.items.some((r) => r.taskId === t.id)).toBe(false);
  });

  it('lists my tasks by today, overdue and upcoming, and marks one done', async () => {
    await server.admin.ok('POST', '/api/v1/tasks', {
      type: 'email',
      subject: 'Overdue follow-up email',
      customerId,
      dueAt: new Date(Date.now() - 2 * 86_400_000).toISOString(),
      remindAt: null,
    });
    await page.getByRole('tab', { name: 'Overdue' }).click();
    const overdue = page.getByRole('list', { name: 'Tasks' });
    await overdue.getByText('Overdue follow-up email').waitFor();
    await server.admin.ok('POST', '/api/v1/tasks', {
      type: 'meeting',
      subject: 'Quarterly review',
      customerId,
      dueAt: new Date(Date.now() + 3 * 86_400_000).toISOString(),
    });
    await page.getByRole('tab', { name: 'Upcoming' }).click();
    await page.getByRole('list', { name: 'Tasks' }).getByText('Quarterly review').waitFor();
    // "Late reminder" is due within the hour: today, unless that crosses midnight (UTC here).
    const dueToday = new Date(Date.now() + 3600_000).getUTCDate() === new Date().getUTCDate();
    await page.getByRole('tab', { name: dueToday ? 'Today' : 'Upcoming' }).click();
    await page.getByRole('list', { name: 'Tasks' }).getByText('Late reminder').waitFor();
    await expectAccessible(page, 'my tasks');
    await screenshot(page, 'my-tasks');
    await page.getByRole('button', { name: 'Mark "Late reminder" done' }).click();
    // Done tasks leave the open views (the list refreshes on the task's live change event).
    await page.getByRole('list', { name: 'Tasks' }).getByText('Late reminder').waitFor({ state: 'detached' });
    await page.getByRole('tab', { name: 'Done' }).click();
    await page.getByRole('list', { name: 'Tasks' }).getByText('Late reminder').waitFor();
    expect(errors).toEqual([]);
  });
});
