import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  ApiClient,
  expectAccessible,
  launchBrowser,
  newContext,
  screenshot,
  signIn,
  startServer,
  watchErrors,
  type E2EServer,
} from './harness.js';

interface Case {
  id: string;
  caseNumber: number;
  version: number;
}

const AGENT = { email: 'agent.mywork@e2e.test', password: 'my-work-agent-password' };

/** The agent's home screen, the header's unread count, the inbox, and drafts in the screen pop (docs/agent-workflow.md). */
describe('My work, the inbox and the unread badge (browser)', () => {
  let server: E2EServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let agentId: string;
  let customerId: string;
  let platform: ApiClient;
  const cases: Case[] = [];

  const badge = () => page.locator('a.inbox-link');
  const unread = async () => Number(await badge().getAttribute('data-unread'));

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    agentId = (
      await server.admin.ok<{ id: string }>('POST', '/api/v1/users', {
        ...AGENT,
        role: 'agent',
        firstName: 'Mia',
        lastName: 'Worker',
      })
    ).id;
    customerId = (
      await server.admin.ok<{ id: string }>('POST', '/api/v1/customers', { firstName: 'Ada', lastName: 'Lovelace' })
    ).id;
    // Assigned while the agent has no console open: they wait in the inbox.
    for (const [subject, priority] of [
      ['Invoice is wrong', 'low'],
      ['Line is down', 'urgent'],
    ] as const) {
      cases.push(
        await server.admin.ok<Case>('POST', '/api/v1/cases', { customerId, subject, priority, ownerId: agentId }),
      );
    }
    await server.admin.ok('POST', '/api/v1/tasks', {
      type: 'call',
      subject: 'Ring Ada about the line',
      customerId,
      assigneeId: agentId,
      dueAt: new Date(Date.now() - 60_000).toISOString(),
    });
    const key = await server.admin.ok<{ key: string }>('POST', '/api/v1/api-keys', { name: 'telephony' });
    platform = ApiClient.withKey(server.url, key.key);

    page = await (await newContext(browser)).newPage();
    await page.emulateMedia({ colorScheme: 'light' });
    errors = watchErrors(page);
    await signIn(page, server.url, AGENT.email, AGENT.password);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('lands on My work: open cases by priority, tasks due, unread notifications; the badge counts them', async () => {
    await page.getByRole('heading', { name: 'My work', level: 1 }).waitFor();
    const myCases = page.locator('[data-panel="my-cases"] li');
    await expect.poll(() => myCases.count()).toBe(2);
    expect(await myCases.nth(0).textContent()).toContain('Line is down');
    expect(await myCases.nth(1).textContent()).toContain('Invoice is wrong');
    const tasks = page.locator('[data-panel="my-tasks"]');
    await tasks.getByText('Ring Ada about the line').waitFor();
    expect(await tasks.textContent()).toContain('Overdue');
    // Two assignments and the overdue task's reminder (fired by the server's poller) wait unread.
    const notes = page.locator('[data-panel="my-notifications"] li');
    await expect.poll(() => notes.count()).toBe(3);
    await page.getByRole('link', { name: `Case ${cases[1].caseNumber} assigned to you` }).waitFor();
    await page.getByRole('link', { name: 'Task overdue: Ring Ada about the line' }).waitFor();
    await expect.poll(unread).toBe(3);
    await expectAccessible(page, 'my work');
    await screenshot(page, 'my-work');
  });

  it('the badge goes up live when a case is assigned; the inbox marks one, then all, read', async () => {
    await page.locator('[data-live="live"]').waitFor();
    const third = await server.admin.ok<Case>('POST', '/api/v1/cases', {
      customerId,
      subject: 'Router replacement',
      ownerId: agentId,
    });
    await expect.poll(unread).toBe(4);

    await badge().click();
    await page.getByRole('heading', { name: 'Inbox', level: 1 }).waitFor();
    const items = page.locator('li.notification');
    await expect.poll(() => items.count()).toBe(4);
    expect(await items.nth(0).textContent()).toContain(`Case ${third.caseNumber} assigned to you`);
    await expect.poll(() => page.locator('li.notification.unread').count()).toBe(4);
    await expectAccessible(page, 'inbox');
    await screenshot(page, 'inbox');

    await items
      .nth(0)
      .getByRole('button', { name: /Mark read/ })
      .click();
    await expect.poll(unread).toBe(3);
    await expect.poll(() => page.locator('li.notification.unread').count()).toBe(3);

    await page.getByRole('button', { name: 'Mark all read' }).click();
    await expect.poll(unread).toBe(0);
    await expect.poll(() => page.locator('li.notification.unread').count()).toBe(0);
    const left = await server.admin.ok<{ unread: number }>('GET', '/api/v1/notifications/unread-count');
    expect(left.unread).toBe(0); // the administrator's own count: untouched by the agent's marks

    // An item links to its case.
    await items.nth(0).getByRole('link').click();
    await page.getByRole('heading', { name: new RegExp(`Case ${third.caseNumber}`) }).waitFor();
  });

  it('shows a draft customer with the caller’s number as "possible match (draft)" in the screen pop', async () => {
    await server.admin.ok('POST', '/api/v1/customers', {
      firstName: 'Dora',
      lastName: 'Draft',
      draft: true,
      phones: [{ type: 'mobile', number: '+1 415 555 0199' }],
    });
    await page.goto(`${server.url}/`);
    await page.locator('[data-live="live"]').waitFor();
    const created = await platform.ok<{ id: string; customerId: string | null }>('POST', '/api/v1/interactions', {
      channel: 'phone',
      direction: 'inbound',
      from: '+1 415 555 0199',
      to: '+1 800 555 0000',
      agentId: AGENT.email,
      reference: 'call-draft-1',
    });
    expect(created.customerId).toBeNull();
    const pop = page.locator(`[data-interaction="${created.id}"]`);
    await pop.getByText('Possible match (draft)').waitFor();
    await pop.getByRole('link', { name: 'Dora Draft' }).waitFor();
    await expectAccessible(page, 'screen pop with a draft');
    await screenshot(page, 'screen-pop-draft');
    expect(errors).toEqual([]);
  });

  it('the Notify field: an internal note to a customer is refused under the field; a public one records whom', async () => {
    await page.goto(`${server.url}/cases/${cases[0].id}`);
    const form = page.getByRole('form', { name: 'Add a follow-up' });
    await form.getByLabel('Add a note').fill('The corrected invoice is on its way.');
    await form.getByLabel('Notify by email').fill('ada@customer.test');
    await form.getByRole('button', { name: 'Add follow-up' }).click();
    await form
      .getByText(/can be sent to staff members only/)
      .first()
      .waitFor();
    await form.getByLabel('Visible to').selectOption('public');
    await form.getByRole('button', { name: 'Add follow-up' }).click();
    await page.getByText('Notified: ada@customer.test').waitFor();
    await expectAccessible(page, 'follow-up notified');
    await screenshot(page, 'follow-up-notify');
    const fus = await server.admin.ok<{ items: { notified: string[]; visibility: string }[] }>(
      'GET',
      `/api/v1/cases/${cases[0].id}/follow-ups?order=newest`,
    );
    expect(fus.items[0]).toMatchObject({ visibility: 'public', notified: ['ada@customer.test'] });
    expect(errors).toEqual([]);
  });
});
