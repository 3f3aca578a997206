import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
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
 * What a new user met when first trying the console: the New case form's
 * defaults, email that went nowhere without a relay, call pops lost in a new
 * browser, and a New customer form that restored the previous caller's input.
 * The server here has no mail relay (SMTP_RELAY_URL unset).
 */
describe('first use of the console (browser)', () => {
  let server: E2EServer;
  let browser: Browser;
  let admin: Page;
  let errors: string[];
  let agentId: string;
  let customerId: string;
  const AGENT = { email: 'agent.first@e2e.test', password: 'agent-first-password' };

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    agentId = (
      await server.admin.ok<{ id: string }>('POST', '/api/v1/users', {
        ...AGENT,
        role: 'agent',
        firstName: 'Fiona',
        lastName: 'First',
      })
    ).id;
    customerId = (
      await server.admin.ok<{ id: string }>('POST', '/api/v1/customers', {
        firstName: 'Mary',
        lastName: 'Jackson',
        email: 'mary@example.com',
        phones: [{ number: '+1 757 555 0101' }],
      })
    ).id;
    ({ page: admin, errors } = await signedInPage(browser, server.url));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const agentPage = async (): Promise<Page> => {
    const page = await (await newContext(browser)).newPage();
    await signIn(page, server.url, AGENT.email, AGENT.password);
    return page;
  };

  it('an agent creates a case from the New case form as it opens', async () => {
    const page = await agentPage();
    await page.goto(`${server.url}/customers/${customerId}?tab=cases`);
    await page.getByRole('button', { name: 'New case' }).click();
    const dialog = page.getByRole('dialog', { name: 'New case' });
    await dialog.getByLabel('Subject').fill('Wind tunnel booking');
    // The agent may create only public cases: no choice to make.
    expect(await dialog.getByLabel('Visibility').count()).toBe(0);
    await expectAccessible(page, 'new case as agent');
    await dialog.getByRole('button', { name: 'Create case' }).click();
    await page.getByRole('heading', { name: /Wind tunnel booking/ }).waitFor();
    const cases = await server.admin.ok<{ items: { subject: string; visibility: string }[] }>(
      'GET',
      `/api/v1/cases?customerId=${customerId}`,
    );
    expect(cases.items.find((c) => c.subject === 'Wind tunnel booking')?.visibility).toBe('public');
    await page.context().close();

    // An administrator's form starts with the administrator's default and offers both.
    await admin.goto(`${server.url}/customers/${customerId}?tab=cases`);
    await admin.getByRole('button', { name: 'New case' }).click();
    const adminDialog = admin.getByRole('dialog', { name: 'New case' });
    // The choice follows the administrator's default once the case settings have arrived.
    await expect.poll(() => adminDialog.getByLabel('Visibility').inputValue()).toBe('private');
    await adminDialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it('tells the truth when no mail relay is configured', async () => {
    // The administrator sees a banner with the outbox.
    await admin.goto(`${server.url}/cases`);
    const banner = admin.getByRole('region', { name: 'Mail relay warning' });
    await banner.getByText('No mail relay is configured, so no email leaves Switchboard.').waitFor();
    await banner.getByText(/Outbox: \d+ queued/).waitFor();

    // A reply shows it was not sent.
    const c = await server.admin.ok<{ id: string }>('POST', '/api/v1/cases', { customerId, subject: 'Mail check' });
    await admin.goto(`${server.url}/cases/${c.id}`);
    await admin.getByRole('heading', { name: /Mail check/ }).waitFor();
    await admin.getByRole('button', { name: 'Reply by email' }).click();
    const dialog = admin.getByRole('dialog', { name: /Reply to case/ });
    await dialog.getByLabel('Message').fill('Your booking is confirmed.');
    await dialog.getByRole('button', { name: 'Send reply' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const item = admin
      .getByRole('list', { name: 'Follow-ups' })
      .getByRole('listitem')
      .filter({ hasText: 'Your booking is confirmed.' });
    await item.getByText('Not sent: no mail relay configured').waitFor();
    await expectAccessible(admin, 'reply not sent');
    await screenshot(admin, 'reply-not-sent');
    await admin.goto(`${server.url}/cases`);
    await banner.getByText(/Outbox: [1-9]\d* queued \(oldest .*\), 0 sent, 0 failed/).waitFor();

    // Support Center access says no email was sent, and how to reach the customer instead.
    await admin.goto(`${server.url}/customers/${customerId}`);
    await admin.getByRole('button', { name: 'Change Support Center access' }).click();
    const form = admin.getByRole('form', { name: 'Support Center access' });
    await form.getByRole('button', { name: 'Save access' }).click();
    const truthful = 'No mail relay is configured, so no email was sent — give the customer the sign-in link yourself';
    await admin.getByRole('status').getByText(truthful, { exact: false }).first().waitFor();
    expect(await admin.locator('.portal-access').textContent()).toContain(`${server.url}/portal`);
    expect(await admin.getByText('the sign-in details were emailed').count()).toBe(0);
    await screenshot(admin, 'portal-access-no-relay');

    // An agent sees no banner: it is the administrator's to fix.
    const page = await agentPage();
    await page.goto(`${server.url}/cases`);
    await page.locator('[data-live="live"]').waitFor();
    expect(await page.getByRole('region', { name: 'Mail relay warning' }).count()).toBe(0);
    await page.context().close();
  });

  it("shows the agent's active call after signing in in a new browser", async () => {
    const call = await server.admin.ok<{ id: string }>('POST', '/api/v1/interactions', {
      channel: 'phone',
      direction: 'inbound',
      from: '+1 757 555 0101',
      agentId,
    });
    const page = await agentPage();
    const pop = page.locator(`[data-interaction="${call.id}"]`);
    await pop.waitFor();
    await pop.getByRole('link', { name: 'Mary Jackson' }).waitFor();
    await screenshot(page, 'pop-after-new-sign-in');
    await page.context().close();
  });

  it("never fills one caller's New customer form with another's input, and offers a form's own draft back", async () => {
    const report = (from: string) =>
      server.admin.ok<{ id: string }>('POST', '/api/v1/interactions', {
        channel: 'phone',
        direction: 'inbound',
        from,
        agentId: ADMIN_EMAIL,
      });
    const first = await report('+1 757 555 0199');
    const second = await report('+1 757 555 0177');
    await admin.goto(`${server.url}/customers/new?interaction=${first.id}&phone=%2B17575550199`);
    await admin.getByLabel('Last name').fill('Holloway');
    await admin.getByLabel('Email').fill('first.caller@example.com');
    // The agent leaves without saving.
    await admin.goto(`${server.url}/customers`);

    // Another caller's form, and a form for no interaction, start empty and offer nothing.
    await admin.goto(`${server.url}/customers/new?interaction=${second.id}&phone=%2B17575550177`);
    await admin.getByRole('heading', { name: 'New customer' }).waitFor();
    expect(await admin.getByLabel('Last name').inputValue()).toBe('');
    expect(await admin.getByLabel('Email').inputValue()).toBe('');
    expect(await admin.getByLabel('Phone 1', { exact: true }).inputValue()).toBe('+17575550177');
    expect(await admin.getByRole('button', { name: 'Restore' }).count()).toBe(0);
    await admin.goto(`${server.url}/customers/new`);
    await admin.getByRole('heading', { name: 'New customer' }).waitFor();
    expect(await admin.getByLabel('Last name').inputValue()).toBe('');
    expect(await admin.getByRole('button', { name: 'Restore' }).count()).toBe(0);

    // Back at the first caller's form: the draft is offered, not filled in.
    await admin.goto(`${server.url}/customers/new?interaction=${first.id}&phone=%2B17575550199`);
    await admin.getByText(/Restore what you typed at/).waitFor();
    expect(await admin.getByLabel('Last name').inputValue()).toBe('');
    await expectAccessible(admin, 'new customer draft offer');
    await screenshot(admin, 'new-customer-draft-offer');
    await admin.getByRole('button', { name: 'Restore' }).click();
    expect(await admin.getByLabel('Last name').inputValue()).toBe('Holloway');
    expect(await admin.getByLabel('Email').inputValue()).toBe('first.caller@example.com');
    // Discard forgets it.
    await admin.goto(`${server.url}/customers`);
    await admin.goto(`${server.url}/customers/new?interaction=${first.id}`);
    await admin.getByRole('button', { name: 'Discard' }).click();
    await admin.goto(`${server.url}/customers`);
    await admin.goto(`${server.url}/customers/new?interaction=${first.id}`);
    await admin.getByRole('heading', { name: 'New customer' }).waitFor();
    expect(await admin.getByRole('button', { name: 'Restore' }).count()).toBe(0);
    expect(errors).toEqual([]);
  });
});
