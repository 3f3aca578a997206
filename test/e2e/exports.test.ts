import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
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

/**
 * Exports from the console (docs/exporting.md, "In the console"): the Export
 * dialog of the Customers and Cases lists downloads exactly what the list
 * shows (filters, columns in their order), or prepares the file in the
 * background for My downloads; both pass axe in the light and dark themes.
 */
describe('exports in the console (browser)', () => {
  let server: E2EServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    for (let i = 1; i <= 8; i++) {
      const c = await server.admin.ok<{ id: string }>('POST', '/api/v1/customers', {
        accountNumber: `EXP-${i}`,
        firstName: `Export${i}`,
        lastName: i <= 5 ? 'Vip' : 'Plain',
        email: `export${i}@example.test`,
        vip: i <= 5,
        primaryAddress: { street: `${i} High St`, city: 'Leeds', postalCode: 'LS1 4AP' },
      });
      if (i <= 3) {
        await server.admin.ok('POST', '/api/v1/cases', {
          customerId: c.id,
          subject: `Export case ${i}`,
          ownerId: server.admin.userId,
        });
      }
    }
    // The administrator's own column order for the customers list.
    await server.admin.ok('PUT', '/api/v1/me/preferences', {
      'customers.columns': ['email', 'name', 'accountNumber', 'city'],
    });
    context = await newContext(browser);
    page = await context.newPage();
    errors = watchErrors(page);
    await page.emulateMedia({ colorScheme: 'light' });
    await signIn(page, server.url);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const dialog = (): Locator => page.locator('dialog[open]');
  const csv = (file: string) => parse(readFileSync(file), { bom: true }) as string[][];

  async function download(link: Locator): Promise<string> {
    const [dl] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const file = await dl.path();
    expect(await dl.failure()).toBeNull();
    return file;
  }

  async function openExport(noun: string, rows: number): Promise<void> {
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    await dialog().getByText(`${rows} ${noun} match the list's filters.`).waitFor();
  }

  it("downloads the filtered customers list as CSV: the list's columns in its order, its rows", async () => {
    await page.goto(`${server.url}/customers`);
    await page.getByLabel('VIP only').check();
    await expect.poll(() => page.locator('table.list tbody tr').count()).toBe(5);
    const headers = await page.locator('table.list thead th').allTextContents();
    expect(headers).toEqual(['Email', 'Name', 'Account', 'City']);
    const shown = (await page.locator('table.list tbody td[data-label="Account"]').allTextContents()).sort();

    await openExport('customers', 5);
    expect(await dialog().getByLabel('CSV (spreadsheets)').isChecked()).toBe(true);
    expect(await dialog().getByLabel('Download now').isChecked()).toBe(true);
    await expectAccessible(page, 'export dialog (light)');
    await screenshot(page, 'export-dialog');
    await dialog().getByLabel('Include BOM for Excel').check();
    const file = await download(dialog().getByRole('link', { name: 'Download', exact: true }));
    expect(readFileSync(file).subarray(0, 3).toString('hex')).toBe('efbbbf');
    const [head, ...rows] = csv(file);
    // Email, Name (first and last name), Account, City: in the list's order.
    expect(head).toEqual(['Email', 'First name', 'Last name', 'Account number', 'City']);
    expect(rows).toHaveLength(shown.length);
    expect(rows.map((r) => r[3]).sort()).toEqual(shown);
    expect(await dialog().count()).toBe(0);
  }, 60_000);

  it("the Cases list exports its default filters (open; everyone's for an administrator) with its columns", async () => {
    await page.goto(`${server.url}/cases`);
    await expect.poll(() => page.locator('table.list tbody tr').count()).toBe(3);
    await openExport('cases', 3);
    await dialog().getByLabel('JSON Lines (programs)').check();
    expect(await dialog().getByLabel('Include BOM for Excel').count()).toBe(0);
    const file = await download(dialog().getByRole('link', { name: 'Download', exact: true }));
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    expect(Object.keys(lines[0])).toEqual([
      'caseNumber',
      'subject',
      'status',
      'priority',
      'severity',
      'ownerEmail',
      'tags',
      'openedAt',
    ]);
  }, 60_000);

  it('prepares a background export that appears in My downloads and becomes downloadable', async () => {
    await page.goto(`${server.url}/customers`);
    await expect.poll(() => page.locator('table.list tbody tr').count()).toBe(5);
    // The saved columns arrive with the user's preferences, after a page load; export once they show.
    await expect
      .poll(() => page.locator('table.list thead th').allTextContents())
      .toEqual(['Email', 'Name', 'Account', 'City']);
    await openExport('customers', 5);
    await dialog().getByLabel('Prepare in background').check();
    await dialog().getByRole('button', { name: 'Prepare', exact: true }).click();
    await page.getByText('Your customers export is being prepared.').waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My downloads' }).click();
    await page.getByRole('heading', { name: 'My downloads' }).waitFor();
    const row = page.locator('table.list tbody tr').first();
    await row.getByText('Ready').waitFor();
    await expect.poll(() => row.locator('td[data-label="Rows"]').textContent()).toBe('5');
    await expectAccessible(page, 'my downloads (light)');
    await screenshot(page, 'my-downloads');
    const [head, ...rows] = csv(await download(row.getByRole('link', { name: /Download/ })));
    expect(head).toEqual(['Email', 'First name', 'Last name', 'Account number', 'City']);
    expect(rows).toHaveLength(5);
  }, 60_000);

  it('the dialog and My downloads pass axe in the dark theme', async () => {
    await page.goto(`${server.url}/account`);
    await page.getByRole('radio', { name: 'Dark' }).check();
    await page.goto(`${server.url}/downloads`);
    await page.locator('table.list tbody tr').first().getByText('Ready').waitFor();
    await screenshot(page, 'dark-my-downloads');
    await expectAccessible(page, 'my downloads (dark)');
    await page.goto(`${server.url}/customers`);
    await expect.poll(() => page.locator('table.list tbody tr').count()).toBe(5);
    // The saved columns arrive with the user's preferences, after a page load; export once they show.
    await expect
      .poll(() => page.locator('table.list thead th').allTextContents())
      .toEqual(['Email', 'Name', 'Account', 'City']);
    await openExport('customers', 5);
    await dialog().getByLabel('Prepare in background').check();
    await screenshot(page, 'dark-export-dialog');
    await expectAccessible(page, 'export dialog (dark)');
    await dialog().getByRole('button', { name: 'Cancel' }).click();
    expect(errors).toEqual([]);
  }, 60_000);
});
