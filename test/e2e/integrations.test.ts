import http from 'node:http';
import type { AddressInfo } from 'node:net';
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

/** Admin → Integrations: CRM connectors (docs/webhooks.md, CRM connectors). */
describe('admin integrations (browser)', () => {
  let server: E2EServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let crmUp = true;
  /** What the CRM's lookup answers for a phone number it knows. */
  const KNOWN = '+14155550199';
  const grace = {
    externalId: 'crm-42',
    displayName: 'Grace Hopper',
    company: 'Navy',
    emails: ['grace@navy.example'],
    phones: [{ type: 'work', number: KNOWN }],
    url: 'https://crm.example/contacts/42',
  };
  // A CRM following the HTTP connector's contract: one known caller, or down.
  const crm = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (!crmUp) {
        res.statusCode = 503;
        return res.end('down');
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ matches: body.includes(KNOWN) ? [grace] : [] }));
    });
  });
  let crmUrl = '';

  beforeAll(async () => {
    await new Promise<void>((resolve) => crm.listen(0, '127.0.0.1', resolve));
    crmUrl = `http://127.0.0.1:${(crm.address() as AddressInfo).port}/crm`;
    [server, browser] = await Promise.all([startServer({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' }), launchBrowser()]);
    page = await (await newContext(browser)).newPage();
    await page.emulateMedia({ colorScheme: 'light' });
    errors = watchErrors(page);
    await signIn(page, server.url);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    crm.closeAllConnections();
    await new Promise<void>((resolve) => crm.close(() => resolve()));
  });

  it('adds a connector (secret shown once), tests the connection, sets the lookup order', async () => {
    await page.goto(`${server.url}/admin/integrations`);
    await page.getByRole('heading', { name: 'Integrations', level: 2 }).waitFor();
    await page.getByText('No connectors yet.').waitFor();

    const form = page.getByRole('form', { name: 'New CRM connector' });
    await form.getByLabel('Name').fill('Sales CRM');
    await form.getByLabel('System (external id)').fill('salescrm');
    await form.getByLabel('Base URL').fill(crmUrl);
    await form.getByRole('button', { name: 'Add connector' }).click();
    expect(await page.getByTestId('connector-secret').textContent()).toMatch(/^whsec_/);
    const row = page.locator('tr[data-connector="salescrm"]');
    await row.waitFor();

    await row.getByRole('button', { name: 'Test connection' }).click();
    await row.getByText('Connected').waitFor();

    await page.getByLabel('Screen pop lookup order').selectOption('local_then_external');
    await expect
      .poll(
        async () =>
          (await server.admin.ok<{ lookupOrder: string }>('GET', '/api/v1/integrations/connectors/settings'))
            .lookupOrder,
      )
      .toBe('local_then_external');

    await screenshot(page, 'admin-integrations');
    await expectAccessible(page, 'admin integrations');

    // A CRM that is down: the test says so on the connector.
    crmUp = false;
    await row.getByRole('button', { name: 'Test connection' }).click();
    await row.getByText(/answered 503/).waitFor();
    expect(errors).toEqual([]);
  });

  it('edits a connector: field errors in words, the password replaced without being shown back', async () => {
    crmUp = true;
    const row = page.locator('tr[data-connector="salescrm"]');
    await row.getByRole('button', { name: 'Edit Sales CRM' }).click();
    const form = page.getByRole('form', { name: 'Edit connector Sales CRM' });
    await form.getByLabel('Lookup budget (ms)').fill('10');
    await form.getByLabel('Sync every (minutes)').fill('2');
    await form.getByRole('button', { name: 'Save connector' }).click();
    await form.getByText(/budget.* must be 50 or more/i).waitFor();
    expect(await form.getByLabel('Lookup budget (ms)').getAttribute('aria-invalid')).toBe('true');
    // The notices of the first test out of the way, the form in view.
    const dismiss = page.getByRole('button', { name: 'Dismiss notification' });
    while ((await dismiss.count()) > 0) await dismiss.first().click();
    await form.scrollIntoViewIfNeeded();
    await screenshot(page, 'admin-integrations-edit');
    await expectAccessible(page, 'admin integrations, editing a connector');

    await form.getByLabel('Lookup budget (ms)').fill('800');
    await form.getByRole('button', { name: 'Save connector' }).click();
    await form.getByText(/5 or more/).waitFor();
    expect(await form.getByLabel('Sync every (minutes)').getAttribute('aria-invalid')).toBe('true');
    expect(await form.getByLabel('Lookup budget (ms)').getAttribute('aria-invalid')).toBeNull();
    await form.getByLabel('Sync every (minutes)').fill('');
    await form.getByLabel('Base URL').fill(`${crmUrl}/v2`);
    await form.getByLabel('Screen pop lookups').uncheck();
    await form.getByRole('button', { name: 'Save connector' }).click();
    await form.waitFor({ state: 'detached' });
    await row.getByText(`${crmUrl}/v2`).waitFor();
    const [saved] = await server.admin.ok<{ lookupBudgetMs: number; useForLookup: boolean; baseUrl: string }[]>(
      'GET',
      '/api/v1/integrations/connectors',
    );
    expect(saved).toMatchObject({ lookupBudgetMs: 800, useForLookup: false, baseUrl: `${crmUrl}/v2` });

    // An address book: its password is replaced, never shown back.
    await server.admin.ok('POST', '/api/v1/integrations/connectors', {
      kind: 'carddav',
      name: 'Phones',
      system: 'phones',
      baseUrl: `${crmUrl}/dav/`,
      username: 'agent',
      password: 'first-secret',
    });
    await page.reload();
    const book = page.locator('tr[data-connector="phones"]');
    await book.getByRole('button', { name: 'Edit Phones' }).click();
    const edit = page.getByRole('form', { name: 'Edit connector Phones' });
    expect(await edit.getByLabel('New password').inputValue()).toBe('');
    await edit.getByLabel('New password').fill('second-secret');
    await edit.getByRole('button', { name: 'Save connector' }).click();
    await edit.waitFor({ state: 'detached' });
    await book.getByRole('button', { name: 'Edit Phones' }).click();
    expect(await edit.getByLabel('New password').inputValue()).toBe('');
    expect(await page.content()).not.toContain('second-secret');
    expect(errors).toEqual([]);
  });

  it('rotates an http connector’s secret (shown once, with Copy), turns push off, removes a connector after a confirmation', async () => {
    crmUp = true;
    await page.goto(`${server.url}/admin/integrations`);
    const row = page.locator('tr[data-connector="salescrm"]');
    await row.getByRole('button', { name: 'Edit Sales CRM' }).click();
    const form = page.getByRole('form', { name: 'Edit connector Sales CRM' });
    let asked = '';
    page.once('dialog', (d) => {
      asked = d.message();
      void d.accept();
    });
    await form.getByRole('button', { name: 'Rotate signing secret' }).click();
    const shown = page.getByTestId('connector-secret');
    await shown.waitFor();
    expect(asked).toMatch(/old one keeps signing too for 24 hours/);
    expect(await shown.textContent()).toMatch(/^whsec_/);
    await page.getByRole('status').filter({ has: shown }).getByRole('button', { name: 'Copy' }).waitFor();
    await form.getByText(/previous secret also signs every request until/).waitFor();
    const [rotated] = await server.admin.ok<{ previousSecretUntil: string | null }[]>(
      'GET',
      '/api/v1/integrations/connectors',
    );
    expect(rotated.previousSecretUntil).not.toBeNull();
    expect(JSON.stringify(rotated)).not.toContain((await shown.textContent())!);
    await screenshot(page, 'admin-integrations-rotated');
    await expectAccessible(page, 'admin integrations, a secret rotated');

    // Another grace period, chosen in the form (24 hours is preselected): 7 days, then none.
    const grace = form.getByLabel('After a rotation, the old secret signs for');
    expect(await grace.inputValue()).toBe('86400');
    const rotateWith = async (label: string) => {
      await grace.selectOption({ label });
      const before = (await shown.textContent())!;
      page.once('dialog', (d) => {
        asked = d.message();
        void d.accept();
      });
      await form.getByRole('button', { name: 'Rotate signing secret' }).click();
      await page.waitForFunction(
        (old) => document.querySelector('[data-testid="connector-secret"]')?.textContent !== old,
        before,
      );
      const [after] = await server.admin.ok<{ previousSecretUntil: string | null }[]>(
        'GET',
        '/api/v1/integrations/connectors',
      );
      return after.previousSecretUntil;
    };
    const askedAt = Date.now();
    const week = await rotateWith('7 days');
    expect(asked).toMatch(/old one keeps signing too for 7 days/);
    expect(week).not.toBeNull();
    const weekMs = 7 * 24 * 3600 * 1000;
    expect(Date.parse(week!)).toBeGreaterThanOrEqual(askedAt + weekMs - 1000);
    expect(Date.parse(week!)).toBeLessThanOrEqual(Date.now() + weekMs + 1000);
    expect(await rotateWith('No grace: the old secret stops now')).toBeNull();
    expect(asked).toMatch(/old one stops signing at once/);

    // Push off: syncs only pull.
    await form.getByLabel('Sync contacts').check();
    await form.getByLabel('Push local changes to the CRM').uncheck();
    await form.getByRole('button', { name: 'Save connector' }).click();
    await form.waitFor({ state: 'detached' });
    await row.getByText('syncs (pull only)').waitFor();
    const [saved] = await server.admin.ok<{ pushContacts: boolean; syncContacts: boolean }[]>(
      'GET',
      '/api/v1/integrations/connectors',
    );
    expect(saved).toMatchObject({ pushContacts: false, syncContacts: true });

    // Remove: the confirmation says the customers keep their data and ids; dismissing it removes nothing.
    const book = page.locator('tr[data-connector="phones"]');
    page.once('dialog', (d) => void d.dismiss());
    await book.getByRole('button', { name: 'Remove Phones' }).click();
    expect(await book.count()).toBe(1);
    page.once('dialog', (d) => {
      asked = d.message();
      void d.accept();
    });
    await book.getByRole('button', { name: 'Remove Phones' }).click();
    await book.waitFor({ state: 'detached' });
    expect(asked).toMatch(/Customers keep all their data, including their phones ids; nothing is deleted in phones/);
    const left = await server.admin.ok<{ id: string; system: string }[]>('GET', '/api/v1/integrations/connectors');
    expect(left.map((c) => c.system)).toEqual(['salescrm']);
    // The rest of the file asks the CRM again, pushing as before.
    await server.admin.ok('PATCH', `/api/v1/integrations/connectors/${left[0].id}`, {
      pushContacts: true,
      syncContacts: false,
    });
    expect(errors).toEqual([]);
  });

  it('a call the CRM knows pops with its record, linked into the CRM; a CRM that is down is named', async () => {
    crmUp = true;
    const [sales] = await server.admin.ok<{ id: string }[]>('GET', '/api/v1/integrations/connectors');
    await server.admin.ok('PATCH', `/api/v1/integrations/connectors/${sales.id}`, { useForLookup: true });
    const me = await server.admin.ok<{ id: string }>('GET', '/api/v1/me');
    await page.goto(`${server.url}/customers`);
    await page.locator('[data-live="live"]').waitFor();
    const report = (from: string) =>
      server.admin.ok<{ id: string }>('POST', '/api/v1/interactions', {
        channel: 'phone',
        direction: 'inbound',
        from,
        agentId: me.id,
      });

    const known = await report('(415) 555-0199');
    const pop = page.locator(`article[data-interaction="${known.id}"]`);
    const external = pop.getByRole('region', { name: 'External CRM' });
    await external.getByText('In salescrm').waitFor();
    expect(await external.getByRole('link', { name: 'Grace Hopper' }).getAttribute('href')).toBe(grace.url);
    await external.getByText(/Navy · grace@navy\.example/).waitFor();
    await screenshot(page, 'screenpop-external');
    await expectAccessible(page, 'a screen pop with an external CRM match');

    crmUp = false;
    const down = await report('(415) 555-0198');
    await page
      .locator(`article[data-interaction="${down.id}"]`)
      .getByText(/salescrm could not be asked .*503.*: shown from Switchboard's own data/)
      .waitFor();
    expect(errors).toEqual([]);
  });
});
