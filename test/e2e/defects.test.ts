import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { FIELD_LIMITS } from '../../web/src/fieldLimits.js';
import { CaseCreate } from '../../src/modules/cases/schema.js';
import {
  ADMIN_EMAIL,
  expectAccessible,
  launchBrowser,
  newContext,
  screenshot,
  signedInPage,
  signIn,
  startServer,
  type E2EServer,
} from './harness.js';

/**
 * What a new user ran into: a supervisor's empty Cases list, no "New case" on
 * the Cases screen, inputs without their limits, custom fields missing from
 * the columns, history naming keys, user text that could reorder the text
 * around it with a right-to-left override, validator text instead of a
 * sentence, an extension shown twice, tel:/sip: addresses shown raw, and a
 * reminder that said "Overdue" at its due time.
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
  it("5: a bad value the browser lets through comes back as the server's sentence, next to its field", async () => {
    await page.goto(`${server.url}/customers/new`);
    const form = page.getByRole('form', { name: 'New customer' });
    await form.getByLabel('Last name').fill('Vale');
    // The form does not hold the value back (noValidate): the server is the judge.
    await form.getByLabel('Email').fill('mary at example dot com');
    await form.getByRole('button', { name: 'Save', exact: true }).click();
    await form.getByText('Please correct the fields marked below.').waitFor();
    const errorOf = async (label: string) => {
      const input = form.getByLabel(label, { exact: true });
      expect(await input.getAttribute('aria-invalid'), label).toBe('true');
      const id = await input.getAttribute('aria-describedby');
      return (await page.locator(`[id="${id}"]`).textContent())?.trim();
    };
    const email = await errorOf('Email');
    expect(email).toBe('Email must be an email address like name@example.com.');
    expect(await page.locator('main').textContent()).not.toMatch(/must NOT|must match format/);
    await expectAccessible(page, 'new customer with server errors');
    await screenshot(page, 'new-customer-server-errors');
  });

  it('6e, 6f: an extension shows once; tel: and sip: addresses show as numbers, in the pop and the task written', async () => {
    const c = await server.admin.ok<{ id: string }>('POST', '/api/v1/customers', {
      firstName: 'Mary',
      lastName: 'Extension',
      phones: [
        { type: 'work', number: '+1 415 555 0170' },
        // Typed with its extension: the server keeps the number as typed and the extension apart.
        { type: 'voice', number: '+1 415 555 0171 x12' },
      ],
    });
    await page.goto(`${server.url}/customers/${c.id}`);
    const phones = page.locator('dt', { hasText: 'Phones' }).locator('xpath=following-sibling::dd[1]');
    await phones.getByRole('link', { name: '+1 415 555 0171 ext. 12' }).waitFor();
    expect((await phones.textContent())?.match(/12/g)).toHaveLength(1);

    await page.locator('[data-live="live"]').waitFor();
    const call = await server.admin.ok<{ id: string; customerId: string | null }>('POST', '/api/v1/interactions', {
      channel: 'phone',
      direction: 'inbound',
      from: 'sip:+14155550170@pbx.example;user=phone',
      agentId: ADMIN_EMAIL,
    });
    expect(call.customerId).toBe(c.id);
    const pop = page.locator(`[data-interaction="${call.id}"]`);
    await pop.getByRole('heading', { name: 'Incoming phone from +14155550170' }).waitFor();
    await pop.getByLabel('Schedule a follow-on call').check();
    await pop.getByRole('button', { name: 'Save notes' }).click();
    await pop.getByText('Saved, and the follow-on call is scheduled.').waitFor();
    expect(await pop.textContent()).not.toContain('sip:');

    // The follow-on call's subject, written by the server, names the number.
    await page.goto(`${server.url}/customers/${c.id}?tab=tasks`);
    await page.locator('main').getByText('Follow-on call to +14155550170').waitFor();
    // A tel: address with its extension, in the customer's interactions.
    await server.admin.ok('POST', '/api/v1/interactions', {
      channel: 'phone',
      direction: 'inbound',
      from: 'tel:+1-415-555-0171;ext=12',
    });
    await page.goto(`${server.url}/customers/${c.id}?tab=interactions`);
    const list = page.getByRole('list', { name: 'Interactions' });
    await list.getByText('+1-415-555-0171 ext. 12').waitFor();
    await list.getByText('+14155550170').first().waitFor();
    expect(await list.textContent()).not.toMatch(/sip:|tel:/);
    await pop.getByRole('button', { name: 'Close the panel of the phone' }).click();
    await pop.waitFor({ state: 'detached' });
  });

  it('6h: a follow-up body with a right-to-left override is isolated', async () => {
    await server.admin.ok('POST', `/api/v1/cases/${caseId}/follow-ups`, {
      kind: 'note',
      body: `Refund of ${RLO}fdp.exe approved`,
    });
    await page.goto(`${server.url}/cases/${caseId}`);
    const item = page.getByRole('list', { name: 'Follow-ups' }).getByRole('listitem').filter({ hasText: 'Refund of' });
    const body = item.locator('.body', { hasText: 'Refund of' });
    await body.waitFor();
    expect(await body.getAttribute('dir')).toBe('auto');
    const text = body.locator('bdi', { hasText: 'Refund of' });
    expect(await text.evaluate((el) => [el.tagName, getComputedStyle(el).unicodeBidi])).toEqual(['BDI', 'isolate']);
    expect(await body.evaluate((el) => getComputedStyle(el).unicodeBidi)).toBe('isolate');
  });

  it('6g: a reminder at its due time says "Due now", after the due minute "Overdue" (the browser\'s clock set)', async () => {
    // Due at the start of this minute: already due on the server, so its "overdue" reminder fires at once.
    const due = Math.floor(Date.now() / 60_000) * 60_000;
    const task = await server.admin.ok<{ id: string }>('POST', '/api/v1/tasks', {
      type: 'call',
      subject: 'Ring the depot',
      assigneeId: server.admin.userId,
      customerId,
      dueAt: new Date(due).toISOString(),
    });
    await expect
      .poll(
        async () =>
          (await server.admin.ok<{ items: { taskId: string }[] }>('GET', '/api/v1/reminders')).items.some(
            (r) => r.taskId === task.id,
          ),
        { timeout: 30_000 },
      )
      .toBe(true);
    const context = await newContext(browser);
    // The browser's clock at the due time (and 30 s into the due minute), whatever the real time is now.
    await context.clock.setFixedTime(due + 30_000);
    const p = await context.newPage();
    await signIn(p, server.url);
    const popup = p.locator(`[data-reminder="${task.id}"]`);
    await popup.getByRole('heading', { name: 'Due now: Ring the depot' }).waitFor();
    await expectAccessible(p, 'reminder due now');
    await screenshot(p, 'reminder-due-now');
    await context.clock.setFixedTime(due);
    await p.reload();
    await popup.getByRole('heading', { name: 'Due now: Ring the depot' }).waitFor();
    // After the due minute it is late.
    await context.clock.setFixedTime(due + 60_000);
    await p.reload();
    await popup.getByRole('heading', { name: 'Overdue: Ring the depot' }).waitFor();
    await popup.getByRole('button', { name: 'Dismiss' }).click();
    await popup.waitFor({ state: 'detached' });
    await context.close();
    expect(errors).toEqual([]);
  });
});
