import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import {
  ADMIN_EMAIL,
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
 * paint, and every screen passes axe (colour contrast included) in both themes: the console's
 * screens, a screen pop, the password pages, and the Support Center's pages.
 */
describe('light and dark themes (browser)', () => {
  let server: E2EServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  /** Each screen with a selector for what shows once its data has loaded. */
  const screens: { name: string; path: string; ready: string; tab?: string }[] = [];
  let customerId: string;
  let caseId: string;
  let portalCaseId: string;
  let portalAccount: string;
  let portalPassword: string;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    const customer = await server.admin.ok<{ id: string; accountNumber: string }>('POST', '/api/v1/customers', {
      firstName: 'Ada',
      lastName: 'Lovelace',
      vip: true,
      phones: [{ type: 'mobile', number: '+1 415 555 0111' }],
    });
    customerId = customer.id;
    const kase = await server.admin.ok<{ id: string }>('POST', '/api/v1/cases', {
      customerId: customer.id,
      subject: 'Engine will not start',
      ownerId: server.admin.userId,
    });
    caseId = kase.id;
    await server.admin.ok('POST', `/api/v1/cases/${kase.id}/follow-ups`, {
      kind: 'note',
      body: 'Called back, no answer.',
    });
    await server.admin.ok('POST', '/api/v1/tasks', {
      type: 'call',
      subject: 'Call Ada back',
      customerId: customer.id,
      assigneeId: server.admin.userId,
      // In three days: under Upcoming whatever the time of day (due within the hour falls on
      // tomorrow after 23:00, and the Today tab is then empty).
      dueAt: new Date(Date.now() + 3 * 86_400_000).toISOString(),
    });
    // The Support Center: Ada signs in with her account number; she has one public case.
    portalAccount = customer.accountNumber;
    portalPassword = (
      await server.admin.ok<{ generatedPassword: string }>('PUT', `/api/v1/customers/${customer.id}/portal-access`, {
        enabled: true,
        generatePassword: true,
        sendCredentials: false,
      })
    ).generatedPassword;
    portalCaseId = (
      await server.admin.ok<{ id: string }>('POST', '/api/v1/cases', {
        customerId: customer.id,
        subject: 'Printer prints blank pages',
        visibility: 'public',
      })
    ).id;
    await server.admin.ok('POST', `/api/v1/cases/${portalCaseId}/follow-ups`, {
      kind: 'note',
      visibility: 'public',
      body: 'A new toner cartridge is on its way.',
    });
    // A call that was not popped to anyone, for the customer's Interactions tab.
    await server.admin.ok('POST', '/api/v1/interactions', {
      channel: 'phone',
      direction: 'inbound',
      from: '+1 415 555 0111',
    });
    // Rows for the administration screens and My downloads.
    await server.admin.ok('POST', '/api/v1/api-keys', { name: 'telephony' });
    await server.admin.ok('POST', '/api/v1/webhooks', {
      url: 'https://hooks.example.com/switchboard',
      events: ['case.closed'],
      description: 'Ticket mirror',
    });
    await server.admin.ok('POST', '/api/v1/exports', { object: 'customers', format: 'csv' });
    screens.push(
      { name: 'customers', path: '/customers', ready: 'text=Lovelace' },
      { name: 'new-customer', path: '/customers/new', ready: 'form[aria-label="New customer"] >> text=First name' },
      { name: 'customer', path: `/customers/${customer.id}`, ready: 'text=Lovelace' },
      {
        name: 'customer-cases',
        path: `/customers/${customer.id}?tab=cases`,
        ready: '[role="tabpanel"] >> text=Engine will not start',
      },
      { name: 'customer-tasks', path: `/customers/${customer.id}?tab=tasks`, ready: 'text=Call Ada back' },
      {
        name: 'customer-interactions',
        path: `/customers/${customer.id}?tab=interactions`,
        ready: '[aria-label="Interactions"] li',
      },
      {
        name: 'customer-history',
        path: `/customers/${customer.id}?tab=history`,
        ready: '[aria-label="History of changes"] li',
      },
      { name: 'cases', path: '/cases', ready: 'text=Engine will not start' },
      { name: 'case', path: `/cases/${kase.id}`, ready: 'text=Called back, no answer.' },
      { name: 'tasks', path: '/tasks', tab: 'Upcoming', ready: 'text=Call Ada back' },
      { name: 'reports', path: '/reports', ready: '.report-chart canvas' },
      {
        name: 'report-records',
        path: `/reports/records?path=${encodeURIComponent('/api/v1/cases')}&status=open`,
        ready: 'text=Engine will not start',
      },
      { name: 'wallboard', path: '/wallboard', ready: '[data-tile="Open cases"] .tile-value' },
      { name: 'my-downloads', path: '/downloads', ready: 'table.list >> text=Ready' },
      { name: 'account', path: '/account', ready: 'text=Where you are signed in' },
      { name: 'canned-replies', path: '/canned-replies', ready: 'text=No shared canned replies.' },
      { name: 'admin-users', path: '/admin/users', ready: 'text=admin@e2e.test' },
      { name: 'admin-roles', path: '/admin/roles', ready: 'text=Administrator' },
      { name: 'admin-custom-fields', path: '/admin/custom-fields', ready: 'text=Custom fields' },
      { name: 'admin-case-settings', path: '/admin/case-settings', ready: 'text=Case settings' },
      { name: 'admin-audit', path: '/admin/audit', ready: 'text=Audit' },
      { name: 'admin-api-keys', path: '/admin/api-keys', ready: 'td >> text=telephony' },
      { name: 'admin-email', path: '/admin/email', ready: 'text=No failed deliveries.' },
      { name: 'admin-import', path: '/admin/import', ready: 'text=Drop a CSV or JSON Lines file here' },
      { name: 'admin-webhooks', path: '/admin/webhooks', ready: 'text=https://hooks.example.com/switchboard' },
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
      if (s.tab) await page.getByRole('tab', { name: s.tab }).click();
      await page.locator('main').locator(s.ready).first().waitFor();
      await page.waitForFunction(() => !/Loading…/.test(document.querySelector('main')?.textContent ?? ''));
      expect(await themeAttr()).toBe(theme);
      if (theme === 'dark') await screenshot(page, `dark-${s.name}`);
      await expectAccessible(page, `${s.name} (${theme})`);
    }
    // A call popped to the agent, over the customer record.
    await page.goto(`${server.url}/customers/${customerId}`);
    await page.locator('[data-live="live"]').waitFor();
    const call = await server.admin.ok<{ id: string }>('POST', '/api/v1/interactions', {
      channel: 'phone',
      direction: 'inbound',
      from: '+1 415 555 0111',
      agentId: ADMIN_EMAIL,
    });
    const pop = page.locator(`[data-interaction="${call.id}"]`);
    await pop.getByRole('link', { name: 'Ada Lovelace' }).waitFor();
    await pop.getByRole('link', { name: /Engine will not start/ }).waitFor();
    if (theme === 'dark') await screenshot(page, 'dark-screen-pop');
    await expectAccessible(page, `screen pop (${theme})`);
    await pop.getByRole('button', { name: 'Close the panel of the phone' }).click();
    await pop.waitFor({ state: 'detached' });
    await formsAndDialogs(theme);
  }

  /** The forms and dialogs the screens open, and a reminder pop-up: each checked with axe, then closed. */
  async function formsAndDialogs(theme: 'light' | 'dark'): Promise<void> {
    const check = async (name: string, what: Locator) => {
      await what.waitFor();
      await page.waitForFunction(() => !/Loading…/.test(document.body.textContent ?? ''));
      if (theme === 'dark') await screenshot(page, `dark-${name}`);
      await expectAccessible(page, `${name} (${theme})`);
    };
    const dialog = (name: string | RegExp) => page.getByRole('dialog', { name });
    const main = page.locator('main');

    await page.goto(`${server.url}/customers/${customerId}`);
    await main.getByRole('button', { name: 'Edit', exact: true }).click();
    const edit = page.getByRole('form', { name: 'Edit customer' });
    await check('customer-edit', edit.getByLabel('First name'));
    await edit.getByRole('button', { name: 'Cancel' }).click();
    await edit.waitFor({ state: 'detached' });

    await main.getByRole('button', { name: 'Merge another customer into this one' }).click();
    await check('merge-dialog', dialog('Merge another customer into this one'));
    await page.keyboard.press('Escape');
    await dialog('Merge another customer into this one').waitFor({ state: 'hidden' });

    await page.goto(`${server.url}/customers/${customerId}?tab=tasks`);
    await main.getByRole('button', { name: 'New task' }).click();
    await check('new-task-dialog', dialog(/New task for/).getByLabel('Subject'));
    await page.keyboard.press('Escape');
    await dialog(/New task for/).waitFor({ state: 'hidden' });

    await page.goto(`${server.url}/cases`);
    await main.getByRole('button', { name: 'New case' }).click();
    await check('new-case-dialog', dialog('New case').getByLabel('Customer'));
    await page.keyboard.press('Escape');
    await dialog('New case').waitFor({ state: 'hidden' });

    await page.goto(`${server.url}/cases/${caseId}`);
    await main.getByRole('button', { name: 'Reply by email' }).click();
    await check('reply-dialog', dialog(/Reply to case/).getByLabel('Message'));
    await page.keyboard.press('Escape');
    await dialog(/Reply to case/).waitFor({ state: 'hidden' });

    // An import's mapping, preview and dry run (one row fails).
    await page.goto(`${server.url}/admin/import`);
    await main.getByLabel('File to import').setInputFiles({
      name: `people-${theme}.csv`,
      mimeType: 'text/csv',
      buffer: Buffer.from(
        'First Name,Last Name,E-mail Address\nGrace,Hopper,grace@example.test\nAlan,Turing,not-an-address\n',
      ),
    });
    await main.getByRole('heading', { name: `Customers from people-${theme}.csv` }).waitFor();
    await main.getByRole('button', { name: 'Preview' }).click();
    await main.getByRole('table', { name: 'The first rows as they would be stored' }).waitFor();
    await main.getByRole('button', { name: 'Dry run' }).click();
    await check('import-dry-run', main.getByTestId('dry-run').getByText('Dry run: completed'));

    // A reminder pop-up: a task due a minute ago, whose "overdue" reminder fires at once.
    const late = await server.admin.ok<{ id: string }>('POST', '/api/v1/tasks', {
      type: 'call',
      subject: `Late call (${theme})`,
      customerId,
      assigneeId: server.admin.userId,
      dueAt: new Date(Date.now() - 60_000).toISOString(),
    });
    const reminder = page.locator(`[data-reminder="${late.id}"]`);
    await check('reminder', reminder.getByRole('heading', { name: `Overdue: Late call (${theme})` }));
    await reminder.getByRole('button', { name: 'Dismiss' }).click();
    await reminder.waitFor({ state: 'detached' });
  }

  /** The password pages of a signed-out visitor, in the system's scheme. */
  async function passwordPages(scheme: 'light' | 'dark'): Promise<void> {
    await page.goto(`${server.url}/forgot-password`);
    await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
    if (scheme === 'dark') await screenshot(page, 'dark-forgot-password');
    await expectAccessible(page, `forgot password (${scheme}, system)`);
    await page.goto(`${server.url}/reset-password#token=not-a-real-token`);
    await page.getByLabel('New password again').waitFor();
    await page.getByLabel('New password', { exact: true }).fill('a new password');
    await page.getByLabel('New password again').fill('a new password');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByRole('alert').waitFor();
    if (scheme === 'dark') await screenshot(page, 'dark-reset-password');
    await expectAccessible(page, `reset password with an error (${scheme}, system)`);
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
    await passwordPages('light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await passwordPages('dark');

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
  it("the Support Center's pages past its sign-in pass axe in both system settings", async () => {
    const customerPage = await (await newContext(browser)).newPage();
    const customerErrors = watchErrors(customerPage);
    await customerPage.goto(`${server.url}/portal`);
    await customerPage.getByLabel('Account number or email').fill(portalAccount);
    await customerPage.getByLabel('Password').fill(portalPassword);
    await customerPage.getByRole('button', { name: 'Sign in' }).click();
    await customerPage.getByRole('heading', { name: 'My cases' }).waitFor();
    const pages = [
      { name: 'cases', path: '/portal', ready: () => customerPage.getByRole('link', { name: /Printer prints blank/ }) },
      {
        name: 'case',
        path: `/portal/cases/${portalCaseId}`,
        ready: () => customerPage.getByText('A new toner cartridge is on its way.'),
      },
      { name: 'new-case', path: '/portal/new', ready: () => customerPage.getByLabel('Subject') },
      { name: 'forgot', path: '/portal/forgot', ready: () => customerPage.getByLabel('Account number or email') },
      {
        name: 'reset',
        path: '/portal/reset#token=not-a-real-token',
        ready: () => customerPage.getByLabel('New password again'),
      },
    ];
    for (const scheme of ['dark', 'light'] as const) {
      await customerPage.emulateMedia({ colorScheme: scheme });
      for (const p of pages) {
        await customerPage.goto(`${server.url}${p.path}`);
        await p.ready().first().waitFor();
        expect(await customerPage.evaluate(() => getComputedStyle(document.documentElement).backgroundColor)).toBe(
          scheme === 'dark' ? 'rgb(18, 22, 28)' : 'rgb(246, 247, 249)',
        );
        if (scheme === 'dark') await screenshot(customerPage, `dark-portal-${p.name}`);
        await expectAccessible(customerPage, `Support Center ${p.name} (${scheme}, system)`);
      }
      // A case opened with no subject shows its error.
      await customerPage.goto(`${server.url}/portal/new`);
      await customerPage.getByRole('button', { name: 'Open case' }).click();
      await customerPage.getByText('Give your case a subject.').waitFor();
      await expectAccessible(customerPage, `Support Center new case with errors (${scheme}, system)`);
    }
    await customerPage.context().close();
    expect(customerErrors).toEqual([]);
  }, 120_000);
});
