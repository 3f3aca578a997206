import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { expectAccessible, launchBrowser, screenshot, signedInPage, startServer, type E2EServer } from './harness.js';

interface Case {
  id: string;
  caseNumber: number;
}

/** The Cases list's column chooser with case custom fields, and a saved view holding a custom field filter. */
describe('Cases list columns and custom field filters (browser)', () => {
  let server: E2EServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const cases: Case[] = [];

  const headers = () => page.locator('table.list thead th[data-column]').allTextContents();
  const rows = () => page.locator('table.list tbody tr');
  const view = (name: string) => page.locator(`button[data-view="${name}"]`);

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    await server.admin.ok('POST', '/api/v1/custom-fields', {
      objectType: 'case',
      key: 'product',
      label: 'Product',
      type: 'singlePick',
      filterable: true,
      options: [
        { key: 'widget', label: 'Widget 3000' },
        { key: 'gadget', label: 'Gadget' },
      ],
    });
    await server.admin.ok('POST', '/api/v1/custom-fields', {
      objectType: 'case',
      key: 'renewal',
      label: 'Renewal date',
      type: 'date',
    });
    const customer = await server.admin.ok<{ id: string }>('POST', '/api/v1/customers', {
      firstName: 'Grace',
      lastName: 'Hopper',
    });
    for (const [subject, product] of [
      ['Widget wobbles', 'widget'],
      ['Gadget hums', 'gadget'],
      ['Widget squeaks', 'widget'],
    ]) {
      cases.push(
        await server.admin.ok<Case>('POST', '/api/v1/cases', {
          customerId: customer.id,
          subject,
          customFields: { product, renewal: '2027-03-01' },
          tags: ['columns-e2e'],
        }),
      );
    }
    ({ page, errors } = await signedInPage(browser, server.url));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows a case custom field as a column, reorders it, and keeps the layout after a reload', async () => {
    await page.goto(`${server.url}/cases`);
    const filters = page.getByRole('search');
    await filters.getByLabel('Owner').selectOption('');
    await filters.getByLabel('Tags').fill('columns-e2e');
    await expect.poll(() => rows().count(), { timeout: 15_000 }).toBe(3);
    expect(await headers()).toEqual(['Case', 'Subject', 'Status', 'Priority', 'Severity', 'Owner', 'Tags', 'Opened']);

    await page.getByRole('button', { name: 'Columns' }).click();
    const panel = page.getByRole('group', { name: 'Columns' });
    await panel.getByRole('checkbox', { name: 'Product' }).check();
    await panel.getByRole('checkbox', { name: 'Severity' }).uncheck();
    // The case number is the row's link: it stays.
    expect(await panel.getByRole('checkbox', { name: 'Case' }).isDisabled()).toBe(true);
    await expect.poll(headers).toContain('Product');
    // Shown as the field's option label, not its key.
    const row = rows().filter({ hasText: 'Widget wobbles' });
    expect(await row.locator('td[data-label="Product"]').textContent()).toBe('Widget 3000');
    // Keyboard: Product goes left of Opened, Tags and Owner.
    for (let i = 0; i < 3; i++) await panel.getByRole('button', { name: 'Move Product left' }).click();
    await panel.getByRole('checkbox', { name: 'Renewal date' }).check();
    const order = ['Case', 'Subject', 'Status', 'Priority', 'Product', 'Owner', 'Tags', 'Opened', 'Renewal date'];
    await expect.poll(headers).toEqual(order);
    await expectAccessible(page, 'cases column chooser');
    await screenshot(page, 'cases-columns');

    await expect
      .poll(
        async () => (await server.admin.ok<Record<string, unknown>>('GET', '/api/v1/me/preferences'))['cases.columns'],
      )
      .toEqual([
        'caseNumber',
        'subject',
        'status',
        'priority',
        'cf.product',
        'owner',
        'tags',
        'openedAt',
        'cf.renewal',
      ]);
    await page.reload();
    await expect.poll(() => rows().count()).toBe(3);
    await expect.poll(headers).toEqual(order);
    expect(errors).toEqual([]);
  });

  it('saves a custom field filter in a view and applies it again', async () => {
    await page.goto(`${server.url}/cases`);
    const filters = page.getByRole('search');
    await filters.getByLabel('Owner').selectOption('');
    await filters.getByLabel('Tags').fill('columns-e2e');
    await expect.poll(() => rows().count()).toBe(3);
    await filters.getByLabel('Product').selectOption('widget');
    await expect.poll(() => rows().count()).toBe(2);

    const views = page.getByRole('navigation', { name: 'Views' });
    await views.getByRole('button', { name: 'Save view' }).click();
    await page.getByLabel('View name').fill('Widget cases');
    await page
      .getByRole('form', { name: 'Save these filters as a view' })
      .getByRole('button', { name: 'Save' })
      .click();
    await view('Widget cases').waitFor();
    await expect.poll(() => view('Widget cases').locator('.case-view-count').textContent()).toBe('2');
    expect(await view('Widget cases').getAttribute('aria-pressed')).toBe('true');
    const saved = await server.admin.ok<{ items: { name: string; filter: Record<string, unknown> }[] }>(
      'GET',
      '/api/v1/case-views',
    );
    expect(saved.items.find((v) => v.name === 'Widget cases')?.filter).toMatchObject({ 'cf.product': 'widget' });

    // Widen the list, then open the view: the custom field filter comes back with it.
    await filters.getByLabel('Product').selectOption('');
    await expect.poll(() => rows().count()).toBe(3);
    expect(await view('Widget cases').getAttribute('aria-pressed')).toBe('false');
    await view('Widget cases').click();
    await expect.poll(() => rows().count()).toBe(2);
    expect(await filters.getByLabel('Product').inputValue()).toBe('widget');
    expect(await view('Widget cases').getAttribute('aria-pressed')).toBe('true');
    await expectAccessible(page, 'cases with a custom field filter');
    expect(errors).toEqual([]);
  });
});
