import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { FIELD_LIMITS } from '../../web/src/fieldLimits.js';
import { CaseCreate } from '../../src/modules/cases/schema.js';
import { launchBrowser, newContext, signedInPage, signIn, startServer, type E2EServer } from './harness.js';

/**
 * What a new user ran into: a supervisor's empty Cases list, no "New case" on
 * the Cases screen, inputs without their limits, custom fields missing from
 * the columns, history naming keys, and user text that could reorder the text
 * around it with a right-to-left override.
 */
describe('defects found by a new user (browser)', () => {
  let server: E2EServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let customerId: string;
  let caseId: string;
  const RLO = '\u202E';

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    await server.admin.ok('POST', '/api/v1/custom-fields', {
      objectType: 'customer',
      key: 'contract_tier',
      label: 'Contract tier',
      type: 'text',
    });
    const c = await server.admin.ok<{ id: string; version: number }>('POST', '/api/v1/customers', {
      firstName: `Eve${RLO}gnp.exe`,
      lastName: 'Spoof',
      customFields: { contract_tier: 'Gold' },
    });
    customerId = c.id;
    await server.admin.ok('PATCH', `/api/v1/customers/${c.id}`, {
      customFields: { contract_tier: 'Platinum' },
      version: c.version,
    });
    const agent = await server.admin.ok<{ id: string }>('POST', '/api/v1/users', {
      email: 'agent.d@e2e.test',
      password: 'agent-d-password',
      role: 'agent',
      firstName: 'Agent',
      lastName: 'D',
    });
    // An open case owned by an agent: a supervisor must see it without touching the filters.
    const k = await server.admin.ok<{ id: string }>('POST', '/api/v1/cases', {
      customerId,
      subject: 'Owned by the agent',
      ownerId: agent.id,
    });
    caseId = k.id;
    await server.admin.ok('POST', '/api/v1/users', {
      email: 'super.d@e2e.test',
      password: 'super-d-password',
      role: 'supervisor',
      firstName: 'Super',
      lastName: 'D',
    });
    ({ page, errors } = await signedInPage(browser, server.url));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("6a: a supervisor's Cases list shows everyone's open cases; an agent's empty list says why and widens", async () => {
    const sup = await (await newContext(browser)).newPage();
    await signIn(sup, server.url, 'super.d@e2e.test', 'super-d-password');
    await sup.goto(`${server.url}/cases`);
    await sup
      .getByRole('link', { name: /Owned by the agent|^\d+$/ })
      .first()
      .waitFor();
    expect(await sup.locator('#case-owner').inputValue()).toBe('');
    await sup.close();

    const other = await server.admin.ok<{ id: string }>('POST', '/api/v1/users', {
      email: 'agent.e@e2e.test',
      password: 'agent-e-password',
      role: 'agent',
      firstName: 'Agent',
      lastName: 'E',
    });
    expect(other.id).toBeTruthy();
    const ag = await (await newContext(browser)).newPage();
    await signIn(ag, server.url, 'agent.e@e2e.test', 'agent-e-password');
    await ag.goto(`${server.url}/cases`);
    expect(await ag.locator('#case-owner').inputValue()).toBe('me');
    await ag.getByText('No cases assigned to you, open.').waitFor();
    await ag.getByRole('button', { name: "Show everyone's cases" }).click();
    await ag.getByText('Owned by the agent').waitFor();
    await ag.close();
  });

  it('6b: the Cases screen has New case, which asks for the customer first', async () => {
    await page.goto(`${server.url}/cases`);
    await page.getByRole('button', { name: 'New case' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Customer').fill('Spoof');
    await dialog.getByRole('list', { name: 'Matching customers' }).getByRole('button').first().click();
    // 5: the subject carries the schema's limit.
    const subject = dialog.getByLabel('Subject');
    expect(await subject.getAttribute('maxlength')).toBe(String(CaseCreate.properties.subject.maxLength));
    expect(await subject.getAttribute('required')).not.toBeNull();
    await subject.fill('Made from the Cases screen');
    await dialog.getByRole('button', { name: /Create case/ }).click();
    await page.getByRole('heading', { name: /Made from the Cases screen/ }).waitFor();
  });

  it("5: the customer form's inputs carry the API's maxLength", async () => {
    await page.goto(`${server.url}/customers/new`);
    const form = page.getByRole('form', { name: 'New customer' });
    await form.getByLabel('First name').waitFor();
    for (const [label, limit] of [
      ['First name', FIELD_LIMITS.customer.firstName.maxLength],
      ['Last name', FIELD_LIMITS.customer.lastName.maxLength],
      ['Company', FIELD_LIMITS.customer.company.maxLength],
      ['Email', FIELD_LIMITS.customer.email.maxLength],
      ['Notes', FIELD_LIMITS.customer.notes.maxLength],
    ] as const) {
      expect(await form.getByLabel(label, { exact: true }).getAttribute('maxlength'), label).toBe(String(limit));
    }
  });

  it('6c, 6d, 6h: custom field columns, history labels, bidi-isolated names', async () => {
    await page.goto(`${server.url}/customers`);
    await page.getByRole('button', { name: 'Columns' }).click();
    await page.locator('#column-panel .hidden-cols').getByLabel('Contract tier', { exact: true }).click();
    await page.getByRole('columnheader', { name: 'Contract tier' }).waitFor();
    await page.getByRole('cell', { name: 'Platinum' }).waitFor();
    // The name with a right-to-left override is isolated: it cannot reorder the text around it.
    const name = page.locator('table.list bdi', { hasText: 'Spoof' }).first();
    expect(await name.evaluate((el) => getComputedStyle(el).unicodeBidi)).toBe('isolate');

    await page.goto(`${server.url}/customers/${customerId}?tab=history`);
    const history = page.getByRole('list', { name: 'History of changes' });
    await history.getByRole('rowheader', { name: 'Contract tier' }).first().waitFor();
    expect(await history.textContent()).not.toContain('contract_tier');
    const heading = page.locator('h1 bdi').first();
    expect(await heading.evaluate((el) => getComputedStyle(el).unicodeBidi)).toBe('isolate');

    await page.goto(`${server.url}/cases/${caseId}`);
    const subject = page.locator('h1 bdi', { hasText: 'Owned by the agent' });
    expect(await subject.evaluate((el) => getComputedStyle(el).unicodeBidi)).toBe('isolate');
    expect(errors).toEqual([]);
  });
});
