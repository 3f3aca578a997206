import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
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
 * The light and dark themes (docs/console.md, "Appearance"): the console follows the system's
 * setting by default, "My account" overrides it, the choice is saved and applied before the first
 * paint, and every main screen passes axe (colour contrast included) in both themes.
 */
describe('light and dark themes (browser)', () => {
  let server: E2EServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  /** Each screen with a selector for what shows once its data has loaded. */
  const screens: { name: string; path: string; ready: string }[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    const customer = await server.admin.ok<{ id: string }>('POST', '/api/v1/customers', {
      firstName: 'Ada',
      lastName: 'Lovelace',
      vip: true,
    });
    const kase = await server.admin.ok<{ id: string }>('POST', '/api/v1/cases', {
      customerId: customer.id,
      subject: 'Engine will not start',
      ownerId: server.admin.userId,
    });
    await server.admin.ok('POST', `/api/v1/cases/${kase.id}/follow-ups`, {
      kind: 'note',
      body: 'Called back, no answer.',
    });
    await server.admin.ok('POST', '/api/v1/tasks', {
      type: 'call',
      subject: 'Call Ada back',
      customerId: customer.id,
      assigneeId: server.admin.userId,
      dueAt: new Date(Date.now() + 3600_000).toISOString(),
    });
    screens.push(
      { name: 'customers', path: '/customers', ready: 'text=Lovelace' },
      { name: 'customer', path: `/customers/${customer.id}`, ready: 'text=Lovelace' },
      { name: 'cases', path: '/cases', ready: 'text=Engine will not start' },
      { name: 'case', path: `/cases/${kase.id}`, ready: 'text=Called back, no answer.' },
      { name: 'tasks', path: '/tasks', ready: 'text=Call Ada back' },
      { name: 'reports', path: '/reports', ready: '.report-chart canvas' },
      { name: 'account', path: '/account', ready: 'text=Where you are signed in' },
      { name: 'canned-replies', path: '/canned-replies', ready: 'text=No shared canned replies.' },
      { name: 'admin-users', path: '/admin/users', ready: 'text=admin@e2e.test' },
      { name: 'admin-roles', path: '/admin/roles', ready: 'text=Administrator' },
      { name: 'admin-custom-fields', path: '/admin/custom-fields', ready: 'text=Custom fields' },
      { name: 'admin-case-settings', path: '/admin/case-settings', ready: 'text=Case settings' },
      { name: 'admin-audit', path: '/admin/audit', ready: 'text=Audit' },
    );
    context = await newContext(browser);
    page = await context.newPage();
    errors = watchErrors(page);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const background = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  const themeAttr = () => page.evaluate(() => document.documentElement.getAttribute('data-theme'));

  /** Visits every main screen, waits for its data, and checks it with axe. */
  async function visitAll(theme: 'light' | 'dark'): Promise<void> {
    for (const s of screens) {
      await page.goto(`${server.url}${s.path}`);
      await page.locator('main').locator(s.ready).first().waitFor();
      await page.waitForFunction(() => !/Loading…/.test(document.querySelector('main')?.textContent ?? ''));
      expect(await themeAttr()).toBe(theme);
      if (theme === 'dark') await screenshot(page, `dark-${s.name}`);
      await expectAccessible(page, `${s.name} (${theme})`);
    }
  }

  it('follows the system setting on the sign-in page, accessible in both', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(server.url);
    await page.getByLabel('Email').waitFor();
    expect(await themeAttr()).toBeNull();
    expect(await background()).toBe('rgb(18, 22, 28)');
    await screenshot(page, 'dark-sign-in');
    await expectAccessible(page, 'sign-in (dark, system)');

    await page.emulateMedia({ colorScheme: 'light' });
    expect(await background()).toBe('rgb(246, 247, 249)');
    await expectAccessible(page, 'sign-in (light, system)');

    // The Support Center follows the system setting too.
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${server.url}/portal`);
    await page.getByLabel('Account number or email').waitFor();
    expect(await background()).toBe('rgb(18, 22, 28)');
    await screenshot(page, 'dark-portal-sign-in');
    await expectAccessible(page, 'Support Center sign-in (dark, system)');
    await page.emulateMedia({ colorScheme: 'light' });
  }, 60_000);

  it('switches to dark on My account, keeps it across reloads, and every screen passes axe', async () => {
    await signIn(page, server.url);
    await page.goto(`${server.url}/account`);
    await page.getByRole('radio', { name: 'System' }).waitFor();
    expect(await page.getByRole('radio', { name: 'System' }).isChecked()).toBe(true);
    await page.getByRole('radio', { name: 'Dark' }).check();
    expect(await themeAttr()).toBe('dark');
    expect(await background()).toBe('rgb(18, 22, 28)');
    // Saved on the server, for the agent's other browsers.
    await expect
      .poll(async () => (await server.admin.ok<Record<string, unknown>>('GET', '/api/v1/me/preferences')).theme)
      .toBe('dark');
    // Applied by a blocking script in <head>, before the styles paint anything.
    await page.reload();
    expect(await page.evaluate(() => !!document.querySelector('head > script[src="/theme.js"]:not([type])'))).toBe(
      true,
    );
    expect(await themeAttr()).toBe('dark');
    await visitAll('dark');
  }, 180_000);

  it('switches to light over a dark system setting; every screen passes axe', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${server.url}/account`);
    await page.getByRole('radio', { name: 'Light' }).check();
    expect(await themeAttr()).toBe('light');
    expect(await background()).toBe('rgb(246, 247, 249)');
    await visitAll('light');

    // Back to the system's setting: the attribute goes, the system's dark applies.
    await page.goto(`${server.url}/account`);
    await page.getByRole('radio', { name: 'System' }).check();
    expect(await themeAttr()).toBeNull();
    expect(await background()).toBe('rgb(18, 22, 28)');
    await expect
      .poll(async () => (await server.admin.ok<Record<string, unknown>>('GET', '/api/v1/me/preferences')).theme)
      .toBeUndefined();
    expect(errors).toEqual([]);
  }, 180_000);
});
