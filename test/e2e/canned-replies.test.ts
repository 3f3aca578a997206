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

/** Canned replies in the email reply box (docs/canned-replies.md). */
describe('canned replies (browser)', () => {
  let server: E2EServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let caseId: string;
  let caseNumber: number;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    const customer = await server.admin.ok<{ id: string }>('POST', '/api/v1/customers', {
      firstName: 'Grace',
      lastName: 'Hopper',
    });
    const kase = await server.admin.ok<{ id: string; caseNumber: number }>('POST', '/api/v1/cases', {
      customerId: customer.id,
      subject: 'Compiler crash',
    });
    caseId = kase.id;
    caseNumber = kase.caseNumber;
    await server.admin.ok('POST', '/api/v1/canned-replies', {
      title: 'Apology',
      body: 'Dear {{customer.name}}, sorry about case {{case.number}} ({{case.eta}}). {{agent.name}}',
      shared: true,
    });
    page = await (await newContext(browser)).newPage();
    errors = watchErrors(page);
    await signIn(page, server.url);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('inserts a shared canned reply at the cursor with Alt+I, placeholders filled, unknown ones kept', async () => {
    await page.goto(`${server.url}/cases/${caseId}`);
    await page.getByRole('button', { name: 'Reply by email' }).click();
    const message = page.getByLabel('Message');
    await message.fill('Hello,\n\nBest wishes');
    // The cursor after "Hello,\n\n".
    await message.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(8, 8));
    await page.keyboard.press('Alt+i');
    const dialog = page.getByRole('dialog', { name: 'Insert a canned reply' });
    await dialog.getByRole('button', { name: /Apology/ }).waitFor();
    await screenshot(page, 'canned-reply-picker');
    await expectAccessible(page, 'canned reply picker');
    await dialog.getByLabel('Find').fill('apol');
    await dialog.getByLabel('Find').press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    const me = await server.admin.ok<{ firstName: string; lastName: string }>('GET', '/api/v1/me');
    const agentName = [me.firstName, me.lastName].filter(Boolean).join(' ');
    const filled = `Dear Grace Hopper, sorry about case ${caseNumber} ({{case.eta}}). ${agentName}`;
    await expect.poll(() => message.inputValue()).toMatch(/^Hello,\n\nDear Grace Hopper/);
    const value = await message.inputValue();
    expect(value.startsWith(`Hello,\n\n${filled}`)).toBe(true);
    expect(value.endsWith('Best wishes')).toBe(true);
    // The cursor is left after the inserted text, in the message.
    await expect
      .poll(() => message.evaluate((el: HTMLTextAreaElement) => [el.selectionStart, document.activeElement === el]))
      .toEqual([8 + filled.length, true]);
  }, 90_000);

  it('creates a personal canned reply on its screen and inserts it with the button', async () => {
    await page.goto(`${server.url}/canned-replies`);
    await page.getByRole('heading', { name: 'Canned replies', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'New reply', exact: true }).click();
    await page.getByLabel('Title').fill('Thanks');
    await page.getByLabel('Text').fill('Thanks, {{customer.name}}!');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('tr[data-canned="Thanks"]').waitFor();
    await screenshot(page, 'canned-replies-screen');
    await expectAccessible(page, 'canned replies screen');

    await page.goto(`${server.url}/cases/${caseId}`);
    await page.getByRole('button', { name: 'Reply by email' }).click();
    const message = page.getByLabel('Message');
    await message.fill('');
    await page.getByRole('button', { name: /Insert canned reply/ }).click();
    await page
      .getByRole('dialog', { name: 'Insert a canned reply' })
      .getByRole('button', { name: /Thanks/ })
      .click();
    await expect.poll(() => message.inputValue()).toBe('Thanks, Grace Hopper!');
    expect(errors).toEqual([]);
  }, 90_000);
});
