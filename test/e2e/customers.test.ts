import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  ADMIN_PASSWORD,
  expectAccessible,
  launchBrowser,
  newContext,
  screenshot,
  signIn,
  startServer,
  watchErrors,
  type E2EServer,
} from './harness.js';

interface Customer {
  id: string;
  accountNumber: string;
  firstName: string | null;
  lastName: string | null;
  company: string | null;
  email: string | null;
  draft: boolean;
  version: number;
}

describe('customers in the console (browser)', () => {
  let server: E2EServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let ada: Customer;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    context = await newContext(browser);
    page = await context.newPage();
    errors = watchErrors(page);
    await signIn(page, server.url);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const headers = () => page.locator('table.list thead th').allTextContents();

  it('creates a customer from the keyboard shortcut', async () => {
    // Signing in lands on My work; the shortcut works from the Customers screen as from any other.
    await page.goto(`${server.url}/customers`);
    await page.getByRole('heading', { name: 'Customers' }).waitFor();
    await page.locator('body').press('n');
    await page.getByRole('heading', { name: 'New customer' }).waitFor();
    await page.getByLabel('First name').fill('Ada');
    await page.getByLabel('Last name').fill('Lovelace');
    await page.getByLabel('Company').fill('Analytical Engines');
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByRole('button', { name: 'Add phone' }).click();
    await page.getByLabel('Phone 1', { exact: true }).fill('(415) 555-0100');
    await expectAccessible(page, 'new customer');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('heading', { name: 'Ada Lovelace' }).waitFor();
    await page.getByText('+14155550100').or(page.getByText('(415) 555-0100')).first().waitFor();
    const list = await server.admin.ok<{ items: Customer[] }>('GET', '/api/v1/customers?email=ada@example.com');
    ada = list.items[0];
    expect(ada.company).toBe('Analytical Engines');
    await page.getByText(`Account ${ada.accountNumber}`).waitFor();
    await expectAccessible(page, 'customer record');
    await screenshot(page, 'customer-created');
  });

  it('shows a duplicate email at the email field, with a link to the customer using it', async () => {
    await page.goto(`${server.url}/customers/new`);
    await page.getByLabel('First name').fill('Another');
    await page.getByLabel('Last name').fill('Ada');
    await page.getByLabel('Email').fill('ADA@example.com');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const field = page.locator('.field.has-error', { has: page.getByLabel('Email') });
    await field.waitFor();
    expect(await field.locator('.error').textContent()).toMatch(/already used/i);
    await field.getByRole('link', { name: `open customer ${ada.accountNumber}` }).waitFor();
    expect(await page.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');
    await expectAccessible(page, 'duplicate email');
    await screenshot(page, 'customer-duplicate-email');
    // Nothing was written.
    const all = await server.admin.ok<{ items: Customer[] }>('GET', '/api/v1/customers?email=ada@example.com');
    expect(all.items).toHaveLength(1);
    // What was typed is offered back in the same form (its address names it), never filled in silently.
    const sameForm = page.url();
    expect(sameForm).toContain('form=');
    await page.goto(`${server.url}/customers`);
    await page.goto(sameForm);
    expect(await page.getByLabel('Email').inputValue()).toBe('');
    await page.getByRole('button', { name: 'Restore' }).click();
    expect(await page.getByLabel('Email').inputValue()).toBe('ADA@example.com');
    // A new form starts empty.
    await page.goto(`${server.url}/customers/new`);
    await page.getByRole('heading', { name: 'New customer' }).waitFor();
    expect(await page.getByLabel('Email').inputValue()).toBe('');
    expect(await page.getByRole('button', { name: 'Restore' }).count()).toBe(0);
  });

  it('saves a draft and completes it later', async () => {
    await page.goto(`${server.url}/customers/new`);
    await page.getByLabel('Company').fill('Difference Engines Ltd');
    await page.getByRole('button', { name: 'Save as draft' }).click();
    await page.getByRole('heading', { name: /Difference Engines Ltd/ }).waitFor();
    await page.locator('h1 .badge.draft').waitFor();
    await screenshot(page, 'customer-draft');

    await page.getByRole('button', { name: 'Complete draft' }).click();
    await page.getByRole('button', { name: 'Save and complete' }).click();
    // Completing applies full validation: the names are required now.
    await page.locator('.field.has-error', { has: page.getByLabel('First name') }).waitFor();
    await page.getByLabel('First name').fill('Charles');
    await page.getByLabel('Last name').fill('Babbage');
    await page.getByRole('button', { name: 'Save and complete' }).click();
    await page.getByRole('heading', { name: 'Charles Babbage' }).waitFor();
    expect(await page.locator('h1 .badge.draft').count()).toBe(0);
    const list = await server.admin.ok<{ items: Customer[] }>('GET', '/api/v1/customers?q=Babbage');
    expect(list.items[0].draft).toBe(false);
  });

  it('edits a customer and shows the change in its history', async () => {
    await page.goto(`${server.url}/customers/${ada.id}`);
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Company').fill('Countess of Lovelace Ltd');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Countess of Lovelace Ltd').waitFor();
    await page.getByRole('tab', { name: 'History' }).click();
    const row = page.locator('table.changes tr', { hasText: 'Company' }).first();
    await row.waitFor();
    expect(await row.locator('td.from').textContent()).toBe('Analytical Engines');
    expect(await row.locator('td.to').textContent()).toBe('Countess of Lovelace Ltd');
    await expectAccessible(page, 'customer history');
    await screenshot(page, 'customer-history');
  });

  it('gives the customer Support Center access with a generated password', async () => {
    await page.goto(`${server.url}/customers/${ada.id}`);
    await page.getByRole('button', { name: 'Change Support Center access' }).click();
    const form = page.getByRole('form', { name: 'Support Center access' });
    expect(await form.getByRole('radio', { name: 'Generate one' }).isChecked()).toBe(true);
    await form.getByLabel('Email the sign-in details to the customer').uncheck();
    await expectAccessible(page, 'support center access');
    await form.getByRole('button', { name: 'Save access' }).click();
    await page.getByText('This customer may sign in to the Support Center.').waitFor();
    const secret = await page.locator('.portal-access code.secret').textContent();
    expect(secret && secret.length).toBeGreaterThanOrEqual(8);
    const access = await server.admin.ok<{ enabled: boolean; hasPassword: boolean }>(
      'GET',
      `/api/v1/customers/${ada.id}/portal-access`,
    );
    expect(access).toMatchObject({ enabled: true, hasPassword: true });
  });

  it('lets the agent merge when someone else saved first', async () => {
    await page.goto(`${server.url}/customers/${ada.id}`);
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Last name').fill('King');
    // Meanwhile a colleague changes the company.
    const current = await server.admin.ok<Customer>('GET', `/api/v1/customers/${ada.id}`);
    await server.admin.ok('PATCH', `/api/v1/customers/${ada.id}`, {
      company: 'Royal Society',
      version: current.version,
    });
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Someone else saved this customer first' });
    await dialog.waitFor();
    // Yours kept where you changed it, theirs where you did not.
    expect(await dialog.locator('tr[data-field="lastName"] input[value="yours"]').isChecked()).toBe(true);
    expect(await dialog.locator('tr[data-field="company"] input[value="theirs"]').isChecked()).toBe(true);
    await expectAccessible(page, 'conflict dialog');
    await screenshot(page, 'customer-conflict');
    await dialog.getByRole('button', { name: 'Save merged' }).click();
    await page.getByRole('heading', { name: 'Ada King' }).waitFor();
    const after = await server.admin.ok<Customer>('GET', `/api/v1/customers/${ada.id}`);
    expect(after).toMatchObject({ lastName: 'King', company: 'Royal Society' });
  });

  it('searches as you type', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Customers' }).click();
    await page.getByRole('heading', { name: 'Customers' }).waitFor();
    // "/" opens the global search now (test/e2e/search.test.ts); this is the list's own box.
    await page.getByLabel('Search customers').focus();
    await page.keyboard.type('Babb');
    await page.locator('table.list tbody tr').first().waitFor();
    await page.waitForFunction(() => document.querySelectorAll('table.list tbody tr').length === 1);
    expect(await page.locator('table.list tbody').textContent()).toContain('Charles Babbage');
    await page.getByLabel('Search customers').fill('');
    await page.waitForFunction(() => document.querySelectorAll('table.list tbody tr').length >= 2);
    await expectAccessible(page, 'customer list');
  });

  it('reorders columns by drag and by keyboard, and keeps them after a reload', async () => {
    expect((await headers()).slice(0, 3)).toEqual(['Account', 'Name', 'Company']);
    // Drag the Email header onto the Account header.
    await page.locator('th[data-column="email"]').dragTo(page.locator('th[data-column="accountNumber"]'));
    await page.waitForFunction(() => document.querySelector('table.list thead th')?.textContent === 'Email');
    // Keyboard alternative: move Company left, and show the Postal code column.
    await page.getByRole('button', { name: 'Columns' }).click();
    await page.getByRole('button', { name: 'Move Company left' }).click();
    await page.getByRole('checkbox', { name: 'Postal code' }).check();
    const order = await headers();
    expect(order.slice(0, 4)).toEqual(['Email', 'Account', 'Company', 'Name']);
    expect(order).toContain('Postal code');
    await expectAccessible(page, 'column chooser');
    await screenshot(page, 'customer-columns');
    await page.waitForTimeout(300); // let the last save land before reloading
    await page.reload();
    await page.locator('table.list tbody tr').first().waitFor();
    expect(await headers()).toEqual(order);
    const prefs = await fetch(`${server.url}/api/v1/me/preferences`, {
      headers: { cookie: (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ') },
    }).then((r) => r.json() as Promise<Record<string, unknown>>);
    expect(prefs['customers.columns']).toEqual([
      'email',
      'accountNumber',
      'company',
      'name',
      'phone',
      'city',
      'postalCode',
    ]);
  });

  it('keeps what was typed when the session ends, and saves after signing in again', async () => {
    await page.goto(`${server.url}/customers/new`);
    await page.getByLabel('First name').fill('Grace');
    await page.getByLabel('Last name').fill('Hopper');
    // The form asks for likely duplicates 400 ms after typing stops; let that answer arrive first, or
    // on a slow machine it is that request, not Save, that finds the session gone.
    const duplicateCheck = page.waitForResponse(
      (r) =>
        r.url().endsWith('/api/v1/customers/duplicates') &&
        (r.request().postData() ?? '').includes('grace@example.com'),
    );
    await page.getByLabel('Email').fill('grace@example.com');
    await duplicateCheck;
    await context.clearCookies(); // the session is gone (expired, or signed out elsewhere)
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Your session has ended' });
    await dialog.waitFor();
    await screenshot(page, 'session-ended');
    expect(await page.getByLabel('First name').inputValue()).toBe('Grace');
    await dialog.getByLabel('Password').fill(ADMIN_PASSWORD);
    await dialog.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Grace Hopper' }).waitFor();
    const list = await server.admin.ok<{ items: Customer[] }>('GET', '/api/v1/customers?email=grace@example.com');
    expect(list.items).toHaveLength(1);
    expect(errors).toEqual([]);
  });
});
