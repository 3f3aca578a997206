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
 * Privacy requests from the console: a customer's data erased from their record
 * after a typed confirmation, and the retention of closed cases (Admin → Privacy).
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

  it("erases a customer's personal data from their record after the account number is typed", async () => {
    const c = await server.admin.ok<{ id: string }>('POST', '/api/v1/customers', {
      accountNumber: 'ERASE-1',
      firstName: 'Wilhelmina',
      lastName: 'Quist',
      email: 'wilhelmina.quist@example.test',
      phones: [{ number: '+442079460123', type: 'mobile' }],
    });
    await server.admin.ok('POST', '/api/v1/cases', { customerId: c.id, subject: 'Broken kettle' });
    // An agent (no customers.erase) is not offered the erasure.
    await server.admin.ok('POST', '/api/v1/users', {
      email: 'agent.erase@e2e.test',
      password: 'agent-erase-password',
      role: 'agent',
      firstName: 'Agent',
      lastName: 'E',
    });
    const agentContext = await newContext(browser);
    const agentPage = await agentContext.newPage();
    await signIn(agentPage, server.url, 'agent.erase@e2e.test', 'agent-erase-password');
    await agentPage.goto(`${server.url}/customers/${c.id}`);
    await agentPage.getByRole('heading', { name: 'Wilhelmina Quist' }).waitFor();
    await agentPage.getByRole('button', { name: 'Edit' }).waitFor();
    expect(await agentPage.getByRole('button', { name: 'Erase personal data…' }).count()).toBe(0);
    await agentContext.close();

    await page.goto(`${server.url}/customers/${c.id}`);
    await page.getByRole('heading', { name: 'Wilhelmina Quist' }).waitFor();
    await page.getByRole('button', { name: 'Erase personal data…' }).click();
    const erase = dialog().getByRole('button', { name: 'Erase personal data' });
    await dialog()
      .getByLabel(/^Reason/)
      .fill('Request PR-2026-117');
    await dialog().getByLabel('Type the account number ERASE-1 to confirm').fill('ERASE-');
    expect(await erase.isDisabled()).toBe(true);
    await dialog().getByLabel('Type the account number ERASE-1 to confirm').fill('ERASE-1');
    expect(await erase.isEnabled()).toBe(true);
    await screenshot(page, 'erase-dialog');
    await expectAccessible(page, 'erase dialog');
    await erase.click();
    await page.getByRole('status').getByText('Personal data of customer ERASE-1 erased').waitFor();
    await page.getByRole('heading', { name: 'Erased Customer' }).waitFor();
    await page.getByText(/personal data was erased on .* \(reason: Request PR-2026-117\)/).waitFor();
    expect(await page.getByRole('button', { name: 'Erase personal data…' }).count()).toBe(0);
    // The case's subject went too, at a glance as well.
    await page.getByRole('complementary', { name: 'At a glance' }).getByText('[erased]').waitFor();
    expect(await page.getByText('Broken kettle').count()).toBe(0);
    await screenshot(page, 'erased-customer');
    const shell = await server.admin.ok<{ email: string | null; phones: unknown[] }>(
      'GET',
      `/api/v1/customers/${c.id}`,
    );
    expect(shell).toMatchObject({ email: null, phones: [] });
    expect(errors).toEqual([]);
  }, 60_000);

  it('Admin → Privacy sets how long closed cases are kept', async () => {
    await page.goto(`${server.url}/admin/privacy`);
    const form = page.getByRole('form', { name: 'Retention of closed cases' });
    await form.getByLabel('Keep closed cases for ever').waitFor();
    expect(await form.getByLabel('Keep closed cases for ever').isChecked()).toBe(true);
    await form.getByLabel('Erase closed cases after a number of months').check();
    await form.getByLabel('Months after closing').fill('0');
    await form.getByRole('button', { name: 'Save' }).click();
    // The server's refusal, in words, beside the field.
    await form.getByRole('alert').first().waitFor();
    expect(await form.getByRole('alert').allTextContents()).toEqual(['Closed case months must be 1 or more.']);
    await form.getByLabel('Months after closing').fill('24');
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').getByText('Retention saved').waitFor();
    await expectAccessible(page, 'admin privacy');
    await screenshot(page, 'admin-privacy');
    expect(await server.admin.ok('GET', '/api/v1/privacy/retention')).toMatchObject({ closedCaseMonths: 24 });
    await page.reload();
    await expect.poll(() => form.getByLabel('Months after closing').inputValue()).toBe('24');
    expect(errors).toEqual([]);
  }, 60_000);
});
