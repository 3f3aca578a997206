import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
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

/** The global search box and the keyboard shortcuts (docs/agent-workflow.md, Global search). */
describe('global search and shortcuts (browser)', () => {
  let server: E2EServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let caseId: string;
  let customerId: string;

  const dialog = () => page.getByRole('dialog', { name: 'Search' });
  /** Presses a key with the focus on the page itself (not in a field). */
  const pressOutside = async (key: string) => {
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press(key);
  };

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    customerId = (
      await server.admin.ok<{ id: string }>('POST', '/api/v1/customers', {
        firstName: 'Grace',
        lastName: 'Hopper',
        email: 'grace@navy.test',
      })
    ).id;
    caseId = (
      await server.admin.ok<{ id: string }>('POST', '/api/v1/cases', { customerId, subject: 'Compiler crashes' })
    ).id;
    await server.admin.ok('POST', `/api/v1/cases/${caseId}/follow-ups`, {
      kind: 'note',
      body: 'The crash comes from the flamingobyte optimiser pass.',
      visibility: 'internal',
    });
    await server.admin.ok('POST', '/api/v1/tasks', {
      type: 'call',
      subject: 'Call Grace about the flamingobyte fix',
      customerId,
    });
    page = await (await newContext(browser)).newPage();
    await page.emulateMedia({ colorScheme: 'light' });
    errors = watchErrors(page);
    await signIn(page, server.url);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('"/" opens the search, typing finds a case through its follow-up, arrows and Enter open it', async () => {
    await page.goto(`${server.url}/tasks`);
    await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
    await pressOutside('/');
    await dialog().waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('combobox');
    await page.keyboard.type('flamingobyte');
    const cases = dialog().locator('[data-group="cases"] [role="option"]');
    await cases.first().waitFor();
    expect(await cases.first().textContent()).toContain('Compiler crashes');
    expect(await cases.first().textContent()).toContain('flamingobyte');
    const tasks = dialog().locator('[data-group="tasks"] [role="option"]');
    expect(await tasks.first().textContent()).toContain('Call Grace about the flamingobyte fix');
    // Groups in order; the first result is chosen, ↓ moves to the next (the task), ↑ back.
    const groups = await dialog()
      .locator('[data-group]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-group')));
    expect(groups).toEqual(['customers', 'cases', 'tasks', 'interactions']);
    expect(await cases.first().getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => tasks.first().getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('ArrowUp');
    await expect.poll(() => cases.first().getAttribute('aria-selected')).toBe('true');
    await screenshot(page, 'global-search');
    await expectAccessible(page, 'global search');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${server.url}/cases/${caseId}`);
    await page
      .getByRole('heading', { name: /Compiler crashes/ })
      .first()
      .waitFor();
    expect(await dialog().isVisible()).toBe(false);
  });

  it('Escape closes the search; "?" lists the shortcuts; "g c", "g k" and "g t" go to the lists', async () => {
    await pressOutside('/');
    await dialog().waitFor();
    await page.keyboard.press('Escape');
    await dialog().waitFor({ state: 'hidden' });

    await pressOutside('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.waitFor();
    expect(await help.textContent()).toContain('Go to Customers');
    await screenshot(page, 'keyboard-shortcuts');
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'hidden' });

    await pressOutside('g');
    await page.keyboard.press('c');
    await page.waitForURL(`${server.url}/customers`);
    await page.getByRole('heading', { name: 'Customers', level: 1 }).waitFor();
    await pressOutside('g');
    await page.keyboard.press('k');
    await page.waitForURL(`${server.url}/cases`);
    await pressOutside('g');
    await page.keyboard.press('t');
    await page.waitForURL(`${server.url}/tasks`);

    // Not while typing in a field: "/" in the customers search box is just a character.
    await page.goto(`${server.url}/customers`);
    await page.getByLabel('Search customers').fill('a/');
    expect(await dialog().isVisible()).toBe(false);
    expect(errors).toEqual([]);
  });
});
