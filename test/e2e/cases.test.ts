import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  expectAccessible,
  launchBrowser,
  newContext,
  screenshot,
  signedInPage,
  signIn,
  startServer,
  type E2EServer,
} from './harness.js';

interface Case {
  id: string;
  caseNumber: number;
  status: string;
  priority: string;
  ownerId: string | null;
  version: number;
}

describe('cases in the console (browser)', () => {
  let server: E2EServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let customerId: string;
  const cases: Case[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    const customer = await server.admin.ok<{ id: string }>('POST', '/api/v1/customers', {
      firstName: 'Alan',
      lastName: 'Turing',
      email: 'alan@example.com',
    });
    customerId = customer.id;
    for (const subject of ['Printer on fire', 'Cannot decode message']) {
      cases.push(
        await server.admin.ok<Case>('POST', '/api/v1/cases', { customerId, subject, description: `About: ${subject}` }),
      );
    }
    ({ page, errors } = await signedInPage(browser, server.url));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("shows a customer's cases as a table and one at a time", async () => {
    await page.goto(`${server.url}/customers/${customerId}?tab=cases`);
    await page.getByRole('link', { name: String(cases[0].caseNumber) }).waitFor();
    await page.getByRole('link', { name: String(cases[1].caseNumber) }).waitFor();
    await expectAccessible(page, 'customer cases table');
    await page.getByRole('button', { name: 'One at a time' }).click();
    await page.getByText('Case 1 of 2').waitFor();
    // Newest first: the second case comes first.
    await page.getByRole('link', { name: /Cannot decode message/ }).waitFor();
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.getByText('Case 2 of 2').waitFor();
    await page.getByRole('link', { name: /Printer on fire/ }).waitFor();
    expect(await page.getByRole('button', { name: 'Next →' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: '← Previous' }).click();
    await page.getByText('Case 1 of 2').waitFor();
    await expectAccessible(page, 'customer cases unitary');
    await screenshot(page, 'customer-cases-unitary');
  });

  it('opens a case, changes its fields and adds a follow-up', async () => {
    await page.getByRole('button', { name: 'Table' }).click();
    await page.getByRole('link', { name: String(cases[0].caseNumber) }).click();
    await page.getByRole('heading', { name: `Case ${cases[0].caseNumber}: Printer on fire` }).waitFor();
    await page.getByText('About: Printer on fire').waitFor();

    await page.getByLabel('Priority').selectOption('urgent');
    await page.getByText('Priority saved').waitFor();
    await page.getByLabel('Status').selectOption('closed');
    await page.getByText('Status saved').waitFor();
    const closed = await server.admin.ok<Case>('GET', `/api/v1/cases/${cases[0].id}`);
    expect(closed).toMatchObject({ priority: 'urgent', status: 'closed' });

    await page.getByLabel('Add a note').fill('Called the customer: the fire is out.');
    await page.getByLabel('Kind').selectOption('call');
    await page.getByRole('button', { name: 'Add follow-up' }).click();
    const item = page.getByRole('list', { name: 'Follow-ups' }).getByRole('listitem').first();
    await item.getByText('Called the customer: the fire is out.').waitFor();
    expect(await item.textContent()).toContain('call');
    expect(await page.getByLabel('Add a note').inputValue()).toBe('');
    await expectAccessible(page, 'case view');
    await screenshot(page, 'case-follow-up');

    const fus = await server.admin.ok<{ items: { body: string; kind: string }[] }>(
      'GET',
      `/api/v1/cases/${cases[0].id}/follow-ups`,
    );
    expect(fus.items.map((f) => [f.kind, f.body])).toEqual([['call', 'Called the customer: the fire is out.']]);

    await page.getByRole('tab', { name: 'History' }).click();
    const row = page.locator('table.changes tr', { hasText: 'Status' }).first();
    await row.waitFor();
    expect(await row.locator('td.to').textContent()).toBe('closed');
  });

  it('creates a case from the customer record', async () => {
    await page.goto(`${server.url}/customers/${customerId}?tab=cases`);
    await page.getByRole('button', { name: 'New case' }).click();
    const dialog = page.getByRole('dialog', { name: 'New case' });
    await dialog.getByLabel('Subject').fill('Enigma keeps rebooting');
    await dialog.getByLabel('Priority').selectOption('high');
    await expectAccessible(page, 'new case');
    await dialog.getByRole('button', { name: 'Create case' }).click();
    await page.getByRole('heading', { name: /Enigma keeps rebooting/ }).waitFor();
    expect(await page.getByLabel('Priority').inputValue()).toBe('high');
  });

  it('shows an email case with its headers, the message and its source, and replies by email', async () => {
    const raw = [
      'From: Alan Turing <alan@example.com>',
      'To: support@switchboard.local',
      'Cc: bletchley@example.com',
      'Subject: Enigma rotor stuck',
      'Message-ID: <rotor-1@example.com>',
      'Date: Mon, 2 Mar 2026 10:00:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'The third rotor is stuck. Please help.',
      '',
    ].join('\r\n');
    const r = await server.admin.raw<{ outcome: string; caseId: string }>(
      'POST',
      '/api/v1/email/inbound',
      raw,
      'message/rfc822',
    );
    expect(r.outcome).toBe('created');
    await page.goto(`${server.url}/cases/${r.caseId}`);
    await page.getByRole('heading', { name: /Enigma rotor stuck/ }).waitFor();
    const item = page.getByRole('list', { name: 'Follow-ups' }).getByRole('listitem').first();
    await item.getByText('bletchley@example.com').waitFor();
    expect(await item.locator('.email-headers').textContent()).toContain('Alan Turing <alan@example.com>');
    await item.getByRole('button', { name: 'Show message' }).click();
    await item.getByText('The third rotor is stuck. Please help.').first().waitFor();
    await item.getByRole('button', { name: 'View source' }).click();
    const source = page.getByRole('dialog', { name: 'Message source' });
    await source.getByText('Message-ID: <rotor-1@example.com>').waitFor();
    await expectAccessible(page, 'email source');
    await page.keyboard.press('Escape');
    await source.waitFor({ state: 'hidden' });
    await screenshot(page, 'case-email');

    await page.getByRole('button', { name: 'Reply by email' }).click();
    const dialog = page.getByRole('dialog', { name: /Reply to case/ });
    expect(await dialog.getByLabel('To').inputValue()).toBe('alan@example.com');
    await dialog.getByLabel('Message').fill('We are sending a new rotor.');
    await expectAccessible(page, 'email reply');
    await dialog.getByRole('button', { name: 'Send reply' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('list', { name: 'Follow-ups' }).getByText('We are sending a new rotor.').waitFor();
  });

  it("flags a message onto a case from someone who is not the case's customer", async () => {
    const message = (from: string, subject: string, id: string) =>
      [
        `From: ${from}`,
        'To: support@switchboard.local',
        `Subject: ${subject}`,
        `Message-ID: <${id}@example.com>`,
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Please send the refund to my new account.',
        '',
      ].join('\r\n');
    const inbound = (raw: string) =>
      server.admin.raw<{ outcome: string; caseId: string; caseNumber: number }>(
        'POST',
        '/api/v1/email/inbound',
        raw,
        'message/rfc822',
      );
    const first = await inbound(message('Ada Lovelace <ada@example.com>', 'Invoice question', 'ada-1'));
    const spoof = await inbound(message('mallory@evil.example', `Re: [#${first.caseNumber}]`, 'mallory-1'));
    expect(spoof).toMatchObject({ outcome: 'followUp', caseId: first.caseId });
    await page.goto(`${server.url}/cases/${first.caseId}`);
    const flagged = page
      .getByRole('list', { name: 'Follow-ups' })
      .getByRole('listitem')
      .filter({ hasText: 'mallory@evil.example' });
    await flagged.getByRole('note').getByText('Unverified sender').waitFor();
    expect(await flagged.textContent()).toMatch(/internal/i);
    await expectAccessible(page, 'unverified sender');
  });

  it('tells an agent at once when a case is assigned to them', async () => {
    const agent = await server.admin.ok<{ id: string }>('POST', '/api/v1/users', {
      email: 'agent.k@e2e.test',
      password: 'agent-k-password',
      role: 'agent',
      firstName: 'Agent',
      lastName: 'K',
    });
    const agentPage = await (await newContext(browser)).newPage();
    await signIn(agentPage, server.url, 'agent.k@e2e.test', 'agent-k-password');
    await agentPage.locator('[data-live="live"]').waitFor();
    const c = await server.admin.ok<Case>('GET', `/api/v1/cases/${cases[1].id}`);
    await server.admin.ok('PATCH', `/api/v1/cases/${c.id}`, { ownerId: agent.id, version: c.version });
    const toast = agentPage
      .getByRole('status')
      .getByText(`Case ${c.caseNumber} was assigned to you: Cannot decode message`);
    await toast.waitFor();
    await screenshot(agentPage, 'case-assigned-toast');
    await agentPage.getByRole('link', { name: 'Open case' }).click();
    await agentPage.getByRole('heading', { name: `Case ${c.caseNumber}: Cannot decode message` }).waitFor();
    // The agent's "my open cases" lists it.
    await agentPage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Cases' }).click();
    await agentPage.getByRole('link', { name: String(c.caseNumber) }).waitFor();
    await expectAccessible(agentPage, 'cases list');
    expect(errors).toEqual([]);
  });
});
