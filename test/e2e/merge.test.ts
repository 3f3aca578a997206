import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { expectAccessible, launchBrowser, screenshot, signedInPage, startServer, type E2EServer } from './harness.js';

interface Customer {
  id: string;
  accountNumber: string;
  version: number;
}

describe('duplicates and merge in the console (browser)', () => {
  let server: E2EServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let grace: Customer;
  let twin: Customer;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    ({ page, errors } = await signedInPage(browser, server.url));
    grace = await server.admin.ok<Customer>('POST', '/api/v1/customers', {
      firstName: 'Grace',
      lastName: 'Hopper',
      phones: [{ number: '(415) 555-0142' }],
    });
    twin = await server.admin.ok<Customer>('POST', '/api/v1/customers', {
      firstName: 'Grace',
      lastName: 'Hoper',
      email: 'grace@navy.example',
      phones: [{ type: 'mobile', number: '+1 415 555 0199' }],
    });
    await server.admin.ok('POST', '/api/v1/cases', { customerId: twin.id, subject: 'COBOL question' });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('warns about likely duplicates while a new customer is typed', async () => {
    await page.goto(`${server.url}/customers/new`);
    await page.getByLabel('First name').fill('Grace');
    await page.getByLabel('Last name').fill('Hoppr');
    const warning = page.locator('.duplicates');
    await warning.getByRole('link', { name: `Grace Hopper (${grace.accountNumber})` }).waitFor();
    expect(await warning.textContent()).toMatch(/similar name/);
    await page.getByRole('button', { name: 'Add phone' }).click();
    await page.getByLabel('Phone 1', { exact: true }).fill('4155550142');
    await warning.getByText(/similar name, same phone|same phone, similar name/).waitFor();
    await expectAccessible(page, 'new customer with duplicates');
    await screenshot(page, 'customer-duplicates');
  });

  it('merges another customer into the record', async () => {
    await page.goto(`${server.url}/customers/${grace.id}`);
    await page.getByRole('button', { name: 'Merge another customer into this one' }).click();
    const dialog = page.getByRole('dialog', { name: 'Merge another customer into this one' });
    // The likely duplicate is offered at once; choosing it shows what moves.
    await dialog
      .getByRole('button', { name: `Choose ${twin.accountNumber}` })
      .first()
      .click();
    await dialog.getByText('Cases moving: 1').waitFor();
    await dialog.getByText('Phone numbers added: 1').waitFor();
    await expectAccessible(page, 'merge dialog');
    await screenshot(page, 'customer-merge');
    await dialog.getByRole('button', { name: `Merge ${twin.accountNumber} into ${grace.accountNumber}` }).click();
    await page.getByText(`Customer ${twin.accountNumber} merged into ${grace.accountNumber}`).waitFor();
    await page.getByText('grace@navy.example').waitFor();
    const gone = await server.admin.request('GET', `/api/v1/customers/${twin.id}`);
    expect(gone.status).toBe(404);
    const cases = await server.admin.ok<{ items: unknown[] }>('GET', `/api/v1/cases?customerId=${grace.id}`);
    expect(cases.items).toHaveLength(1);
    expect(errors).toEqual([]);
  });
});
