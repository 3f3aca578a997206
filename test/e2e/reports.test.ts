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

describe('reports and the wallboard in the console (browser)', () => {
  let server: E2EServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let customerId: string;

  const newCase = (subject: string, fields: Record<string, unknown> = {}) =>
    server.admin.ok<{ id: string }>('POST', '/api/v1/cases', { customerId, subject, ...fields });

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    const c = await server.admin.ok<{ id: string }>('POST', '/api/v1/customers', {
      firstName: 'Grace',
      lastName: 'Hopper',
    });
    customerId = c.id;
    for (const s of ['Compiler crash', 'Billing question', 'Lost password']) await newCase(s, { channel: 'phone' });
    await newCase('Web form bug', { channel: 'web', priority: 'high' });
    page = await (await newContext(browser)).newPage();
    errors = watchErrors(page);
    await signIn(page, server.url);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows the reports with a chart and tables, and a number opens exactly its records', async () => {
    await page.goto(`${server.url}/reports`);
    const opened = page.getByRole('link', { name: 'Opened in the range: 4, show the records' });
    await opened.waitFor();
    await page.locator('.report-chart canvas').first().waitFor();
    await screenshot(page, 'reports', true);
    await expectAccessible(page, 'Reports');

    await opened.click();
    await page.getByRole('heading', { name: 'Records (cases)' }).waitFor();
    await page.locator('[data-records] tr').nth(3).waitFor();
    expect(await page.locator('[data-records] tr').count()).toBe(4);
    await screenshot(page, 'reports-records');

    // A filter narrows every figure, and the links follow.
    await page.goto(`${server.url}/reports?channel=web`);
    await page.getByRole('link', { name: 'Opened in the range: 1, show the records' }).click();
    await page.getByText('Web form bug').waitFor();
    expect(await page.locator('[data-records] tr').count()).toBe(1);
  });

  it('the wallboard updates after a change, at TV size', async () => {
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.goto(`${server.url}/wallboard`);
    const open = page.locator('[data-tile="Open cases"] .tile-value');
    await expect.poll(() => open.textContent(), { timeout: 15_000 }).toBe('4');
    // The change must come after the event stream is open, or only the 15 s refresh would show it.
    await page.locator('[data-live="live"]').waitFor();
    await newCase('Printer on fire');
    // Pushed over the event stream (record.changed) — well within the 15 s fallback refresh.
    await expect.poll(() => open.textContent(), { timeout: 5_000 }).toBe('5');
    await screenshot(page, 'wallboard-1080p');
    await expectAccessible(page, 'Wallboard');
    expect(errors).toEqual([]);
  });
});
