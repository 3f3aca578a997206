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

/** Saved case views as queues with counts on the Cases screen (docs/case-views.md). */
describe('saved case views (browser)', () => {
  let server: E2EServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let customerId: string;

  const rows = () => page.locator('table.list tbody tr');
  const view = (name: string) => page.locator(`button[data-view="${name}"]`);
  const newCase = (fields: Record<string, unknown>) =>
    server.admin.ok('POST', '/api/v1/cases', { customerId, subject: 'Queue case', ...fields });

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    customerId = (
      await server.admin.ok<{ id: string }>('POST', '/api/v1/customers', { firstName: 'Ada', lastName: 'Lovelace' })
    ).id;
    await newCase({ priority: 'urgent', tags: ['queue-e2e'] });
    await newCase({ priority: 'urgent', tags: ['queue-e2e'] });
    await newCase({ priority: 'low', tags: ['queue-e2e'] });
    page = await (await newContext(browser)).newPage();
    await page.emulateMedia({ colorScheme: 'light' });
    errors = watchErrors(page);
    await signIn(page, server.url);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('saves the filters as a view, shows its count, keeps it current and applies it', async () => {
    await page.goto(`${server.url}/cases`);
    await page.getByRole('heading', { name: 'Cases', level: 1 }).waitFor();
    const views = page.getByRole('navigation', { name: 'Views' });
    await views.getByText('No saved views yet.').waitFor();

    await page.getByLabel('Priority').selectOption('urgent');
    await page.getByLabel('Owner').selectOption('none');
    await page.locator('#case-tags').fill('queue-e2e');
    await expect.poll(() => rows().count()).toBe(2);

    await views.getByRole('button', { name: 'Save view' }).click();
    await page.getByLabel('View name').fill('Unassigned urgent');
    await page.getByLabel('Shared with everybody').check();
    await page
      .getByRole('form', { name: 'Save these filters as a view' })
      .getByRole('button', { name: 'Save' })
      .click();
    await view('Unassigned urgent').waitFor();
    await expect.poll(() => view('Unassigned urgent').locator('.case-view-count').textContent()).toBe('2');
    // The list shows exactly the view's filters: the view is the pressed one.
    expect(await view('Unassigned urgent').getAttribute('aria-pressed')).toBe('true');
    await expect
      .poll(() => server.admin.ok<{ items: { name: string; shared: boolean }[] }>('GET', '/api/v1/case-views'))
      .toMatchObject({ items: [{ name: 'Unassigned urgent', shared: true }] });

    // Under test-results/e2e/ (docs/screenshots/case-views.png is a copy of one run).
    await screenshot(page, 'case-views');
    await expectAccessible(page, 'cases with saved views');

    // Another matching case elsewhere: the count follows (live events).
    await newCase({ priority: 'urgent', tags: ['queue-e2e'] });
    await expect.poll(() => view('Unassigned urgent').locator('.case-view-count').textContent()).toBe('3');

    // Widen the filters, then apply the view again with a click.
    await page.getByLabel('Priority').selectOption('');
    await page.getByLabel('Owner').selectOption('');
    await expect.poll(() => rows().count()).toBe(4);
    expect(await view('Unassigned urgent').getAttribute('aria-pressed')).toBe('false');
    await view('Unassigned urgent').click();
    await expect.poll(() => page.getByLabel('Priority').inputValue()).toBe('urgent');
    expect(await page.getByLabel('Owner').inputValue()).toBe('none');
    await expect.poll(() => rows().count()).toBe(3);
    expect(await view('Unassigned urgent').getAttribute('aria-pressed')).toBe('true');
    expect(errors).toEqual([]);
  }, 120_000);

  it('renames and deletes a view, keyboard only, and passes axe in the dark theme', async () => {
    await page.goto(`${server.url}/account`);
    await page.getByRole('radio', { name: 'Dark' }).check();
    await page.goto(`${server.url}/cases`);
    await view('Unassigned urgent').waitFor();
    await view('Unassigned urgent').focus();
    await page.keyboard.press('Enter');
    const rename = page.getByRole('button', { name: 'Rename view Unassigned urgent' });
    await rename.waitFor();
    await rename.focus();
    await page.keyboard.press('Enter');
    const name = page.getByLabel('View name');
    await expect.poll(() => name.evaluate((el) => el === document.activeElement)).toBe(true);
    await name.fill('Urgent, nobody on it');
    await page.keyboard.press('Enter');
    await view('Urgent, nobody on it').waitFor();
    await screenshot(page, 'case-views-dark');
    await expectAccessible(page, 'cases with saved views (dark)');

    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Delete view Urgent, nobody on it' }).click();
    await page.getByRole('navigation', { name: 'Views' }).getByText('No saved views yet.').waitFor();
    expect(errors).toEqual([]);
  }, 120_000);
});
