import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  expectAccessible,
  launchBrowser,
  newContext,
  PHONE,
  screenshot,
  signIn,
  startServer,
  watchErrors,
  type E2EServer,
} from './harness.js';

describe('console shell, sign-in and admin (browser)', () => {
  let server: E2EServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    context = await newContext(browser);
    page = await context.newPage();
    errors = watchErrors(page);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('refuses a wrong password, then signs in', async () => {
    await page.goto(server.url);
    await page.getByLabel('Email').fill(ADMIN_EMAIL);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Wrong email or password.').waitFor();
    await expectAccessible(page, 'sign-in');
    await screenshot(page, 'console-signin-refused');

    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.waitFor();
    for (const tab of ['Customers', 'Cases', 'Tasks', 'Admin']) {
      expect(await nav.getByRole('link', { name: tab }).count()).toBe(1);
    }
    await page.locator('[data-live="live"]').waitFor();
    await screenshot(page, 'console-signed-in');
    await expectAccessible(page, 'shell');
  });

  it('administers users, roles and API keys', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await page.getByRole('cell', { name: ADMIN_EMAIL, exact: true }).waitFor();
    await expectAccessible(page, 'admin users');

    await page.getByRole('button', { name: 'New user' }).click();
    const dialog = page.getByRole('dialog', { name: 'New user' });
    await dialog.getByLabel('Email').fill('agent.smith@e2e.test');
    await dialog.getByLabel('First name').fill('Agent');
    await dialog.getByLabel('Last name').fill('Smith');
    await dialog.getByLabel('Password').fill('agent-password-1');
    await expectAccessible(page, 'admin new user');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('cell', { name: 'agent.smith@e2e.test', exact: true }).waitFor();
    await screenshot(page, 'admin-users');

    await page.getByRole('link', { name: 'Roles and privileges' }).click();
    await page.getByRole('heading', { name: 'Roles and privileges' }).waitFor();
    const box = page.getByRole('checkbox', { name: 'agent: customers.delete' });
    const was = await box.isChecked();
    await box.setChecked(!was);
    await page.getByRole('button', { name: 'Save agent privileges' }).click();
    await page.getByText('Privileges of agent saved').waitFor();
    const roles = await server.admin.ok<{ items: { role: string; privileges: string[] }[] }>('GET', '/api/v1/roles');
    expect(roles.items.find((r) => r.role === 'agent')!.privileges.includes('customers.delete')).toBe(!was);
    await expectAccessible(page, 'admin roles');

    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await page.getByLabel('Name').fill('telephony');
    await page.getByLabel('Scope').selectOption('lookup');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = await page.getByTestId('new-api-key').textContent();
    expect(key && key.length).toBeGreaterThan(20);
    await page.getByRole('cell', { name: 'telephony', exact: true }).waitFor();
    await expectAccessible(page, 'admin api keys');
    await screenshot(page, 'admin-api-keys');
    // The key works against the lookup-scoped /me.
    const me = await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${key}` } });
    expect(me.status).toBe(200);
  });

  it('works on a 390-wide phone screen', async () => {
    const phone = await newContext(browser, PHONE);
    const p = await phone.newPage();
    await signIn(p, server.url);
    const nav = p.getByRole('navigation', { name: 'Main' });
    expect(await nav.isVisible()).toBe(false);
    await p.getByRole('button', { name: 'Menu' }).click();
    await nav.getByRole('link', { name: 'Admin' }).click();
    await p.getByRole('heading', { name: 'Users' }).waitFor();
    const overflow = await p.evaluate((w) => {
      if (document.documentElement.scrollWidth <= w) return [];
      return [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > w)
        .map((e) => `${e.tagName}.${e.className}`)
        .slice(0, 10);
    }, PHONE.width);
    expect(overflow).toEqual([]);
    await screenshot(p, 'phone-admin');
    await expectAccessible(p, 'phone admin');
    await phone.close();
  });

  it('defines a custom field that customer forms then show and save', async () => {
    await page.goto(`${server.url}/admin/custom-fields`);
    await page.getByRole('heading', { name: 'Custom fields' }).waitFor();
    await page.getByRole('button', { name: 'New field' }).click();
    const dialog = page.getByRole('dialog', { name: 'New custom field' });
    await dialog.getByLabel('Label').fill('Contract tier');
    await dialog.getByLabel('Key').fill('tier');
    await dialog.getByLabel('Type').selectOption('singlePick');
    await dialog.getByRole('button', { name: 'Add option' }).click();
    await dialog.getByLabel('Option 1 key').fill('gold');
    await dialog.getByLabel('Option 1 label').fill('Gold');
    await dialog.getByRole('button', { name: 'Add option' }).click();
    await dialog.getByLabel('Option 2 key').fill('silver');
    await dialog.getByLabel('Option 2 label').fill('Silver');
    await dialog.getByLabel('Usable as a list filter').check();
    await expectAccessible(page, 'admin custom field form');
    await dialog.getByRole('button', { name: 'Create field' }).click();
    await page.getByRole('cell', { name: 'Contract tier', exact: true }).waitFor();
    await expectAccessible(page, 'admin custom fields');
    await screenshot(page, 'admin-custom-fields');

    await page.goto(`${server.url}/customers/new`);
    await page.getByLabel('First name').fill('Hedy');
    await page.getByLabel('Last name').fill('Lamarr');
    await page.getByLabel('Contract tier').selectOption('gold');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('heading', { name: 'Hedy Lamarr' }).waitFor();
    const dd = page.locator('dl.details div', { hasText: 'Contract tier' }).locator('dd');
    expect(await dd.textContent()).toBe('Gold');
    const found = await server.admin.ok<{ items: { customFields: Record<string, unknown> }[] }>(
      'GET',
      '/api/v1/customers?cf.tier=gold',
    );
    expect(found.items.map((c) => c.customFields.tier)).toEqual(['gold']);

    // A filterable field is a filter of the customer list.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Customers' }).click();
    await page.getByRole('cell', { name: 'Hedy Lamarr' }).waitFor();
    await page.getByLabel('Contract tier').selectOption('silver');
    await page.getByText('No customers match.').waitFor();
    await page.getByLabel('Contract tier').selectOption('gold');
    await page.getByRole('cell', { name: 'Hedy Lamarr' }).waitFor();
    await expectAccessible(page, 'customer list with custom filter');
  });

  it('adds a case status in the case settings', async () => {
    await page.goto(`${server.url}/admin/case-settings`);
    await page.getByRole('heading', { name: 'Case settings' }).waitFor();
    await page.getByRole('button', { name: 'Add to statuses' }).click();
    await page.getByLabel('Statuses 3 key').fill('waiting');
    await page.getByLabel('Statuses 3 label').fill('Waiting for customer');
    await page.getByRole('button', { name: 'Move Waiting for customer up' }).click();
    await page.getByRole('radio', { name: 'Reopen only within' }).check();
    await page.getByLabel('Days after closing').fill('14');
    await expectAccessible(page, 'case settings');
    await page.getByRole('button', { name: 'Save case settings' }).click();
    await page.getByText('Case settings saved').waitFor();
    const settings = await server.admin.ok<{
      statuses: { key: string; isOpen: boolean }[];
      reopen: { policy: string; days: number };
    }>('GET', '/api/v1/case-settings');
    expect(settings.statuses.map((s) => s.key)).toEqual(['open', 'waiting', 'closed']);
    expect(settings.statuses[1].isOpen).toBe(true);
    expect(settings.reopen).toEqual({ policy: 'withinDays', days: 14 });
    await screenshot(page, 'admin-case-settings');

    await page.getByRole('link', { name: 'Email' }).click();
    await page.getByRole('heading', { name: 'Quarantined messages' }).waitFor();
    await expectAccessible(page, 'admin email');
  });

  it('signs out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    const res = await page.evaluate(() => fetch('/api/v1/me').then((r) => r.status));
    expect(res).toBe(401);
    expect(errors).toEqual([]);
  });
});
