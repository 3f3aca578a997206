import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startSink } from '../../src/modules/email/email.test-helpers.js';
import {
  ADMIN_EMAIL,
  ApiClient,
  expectAccessible,
  launchBrowser,
  newContext,
  PHONE,
  ROOT,
  screenshot,
  signedInPage,
  signIn,
  startServer,
  type E2EServer,
} from './harness.js';

interface Interaction {
  id: string;
  customerId: string | null;
  state: string;
  notes: string | null;
  disposition: string | null;
  followOnTaskId: string | null;
}

/**
 * The README's screenshots, taken from the real console. They are committed, so
 * a test run refreshes them only when asked (UPDATE_DOCS_SCREENSHOTS=1) and
 * otherwise writes beside the other test results, leaving the tree clean. The
 * server here has a mail relay (a local sink), so the administrator's "no mail
 * relay" banner is not on them.
 */
const DOCS = process.env.UPDATE_DOCS_SCREENSHOTS
  ? path.join(ROOT, 'docs', 'screenshots')
  : path.join(ROOT, 'test-results', 'docs-screenshots');

describe('screen pop in the console (browser)', () => {
  let sink: Awaited<ReturnType<typeof startSink>>;
  let server: E2EServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let platform: ApiClient;
  let customerId: string;

  beforeAll(async () => {
    sink = await startSink();
    [server, browser] = await Promise.all([startServer({ SMTP_RELAY_URL: sink.url }), launchBrowser()]);
    const key = await server.admin.ok<{ key: string }>('POST', '/api/v1/api-keys', { name: 'telephony' });
    platform = ApiClient.withKey(server.url, key.key);
    const c = await server.admin.ok<{ id: string }>('POST', '/api/v1/customers', {
      firstName: 'Katherine',
      lastName: 'Johnson',
      company: 'NASA Langley',
      email: 'katherine@example.com',
      vip: true,
      phones: [
        { type: 'mobile', number: '(415) 555-0100' },
        { type: 'work', number: '+1 757 555 0142' },
      ],
      primaryAddress: { street: '1 Langley Blvd', city: 'Hampton', region: 'VA', postalCode: '23681', country: 'US' },
      notes: 'Prefers calls in the morning.',
    });
    customerId = c.id;
    await server.admin.ok('POST', '/api/v1/cases', {
      customerId,
      subject: 'Trajectory report missing',
      description: 'The last report did not arrive.',
      priority: 'high',
    });
    ({ page, errors } = await signedInPage(browser, server.url));
    await page.locator('[data-live="live"]').waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await sink?.close();
  });

  it('pops the caller on the agent console when the platform reports a call', async () => {
    const created = await platform.ok<Interaction>('POST', '/api/v1/interactions', {
      channel: 'phone',
      direction: 'inbound',
      from: '+1 (415) 555-0100',
      to: '+1 800 555 0000',
      agentId: ADMIN_EMAIL,
      reference: 'call-0001',
    });
    expect(created.customerId).toBe(customerId);
    const pop = page.locator(`[data-interaction="${created.id}"]`);
    await pop.waitFor();
    await pop.getByRole('link', { name: 'Katherine Johnson' }).waitFor();
    await pop.getByRole('link', { name: /Trajectory report missing/ }).waitFor();
    expect(await pop.textContent()).toContain('Open cases (1)');
    await expectAccessible(page, 'screen pop');

    // Notes, disposition and a follow-on call, then wrap-up.
    await pop.getByLabel('Notes').fill('Asked about the trajectory report; will resend.');
    await pop.getByLabel('Disposition').selectOption('callback_needed');
    await pop.getByLabel('Schedule a follow-on call').check();
    await pop.getByRole('button', { name: 'Save notes' }).click();
    await pop.getByText('Saved, and the follow-on call is scheduled.').waitFor();
    const saved = await server.admin.ok<Interaction>('GET', `/api/v1/interactions/${created.id}`);
    expect(saved).toMatchObject({
      notes: 'Asked about the trajectory report; will resend.',
      disposition: 'callback_needed',
    });
    expect(saved.followOnTaskId).not.toBeNull();
    await pop.getByRole('button', { name: 'End and wrap up' }).click();
    await pop.getByRole('timer', { name: /Wrap-up/ }).waitFor();

    // The customer record shows it, with its notes.
    await page.getByRole('link', { name: 'Katherine Johnson' }).first().click();
    await page
      .locator('main')
      .getByRole('heading', { name: /Katherine Johnson/ })
      .waitFor();
    await page.getByRole('tab', { name: 'Details' }).waitFor();
    mkdirSync(DOCS, { recursive: true });
    await screenshot(page, 'screen-pop-found');
    await page.getByRole('tab', { name: 'Interactions' }).click();
    await page.getByRole('list', { name: 'Interactions' }).getByText('Asked about the trajectory report').waitFor();
    await page.getByRole('tab', { name: 'Details' }).click();
    await pop.getByRole('button', { name: 'Close the panel of the phone' }).click();
    await pop.waitFor({ state: 'detached' });
    await page.getByText('Prefers calls in the morning.').waitFor();
    // The tab's click may have scrolled the page: the screenshot starts at the top bar.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(DOCS, 'customer-record.png') });
  });

  it('offers to create a customer prefilled from an unknown number, and associates it', async () => {
    const created = await platform.ok<Interaction>('POST', '/api/v1/interactions', {
      channel: 'phone',
      direction: 'inbound',
      from: '+1 212 555 0199',
      agentId: ADMIN_EMAIL,
      reference: 'call-0002',
    });
    expect(created.customerId).toBeNull();
    const pop = page.locator(`[data-interaction="${created.id}"]`);
    await pop.getByText('No customer matches +1 212 555 0199.').waitFor();
    await expectAccessible(page, 'screen pop not found');
    await screenshot(page, 'screen-pop-not-found');

    await pop.getByRole('button', { name: 'Create customer' }).click();
    await page.getByRole('heading', { name: 'New customer' }).waitFor();
    expect(await page.getByLabel('Phone 1', { exact: true }).inputValue()).toBe('+1 212 555 0199');
    await page.getByLabel('First name').fill('Dorothy');
    await page.getByLabel('Last name').fill('Vaughan');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.locator('main').getByRole('heading', { name: 'Dorothy Vaughan' }).waitFor();

    // The interaction is now the new customer's, and the pop shows them.
    await pop.getByRole('link', { name: 'Dorothy Vaughan' }).waitFor();
    const after = await server.admin.ok<Interaction>('GET', `/api/v1/interactions/${created.id}`);
    const list = await server.admin.ok<{ items: { id: string }[] }>('GET', '/api/v1/customers?q=Vaughan');
    expect(after.customerId).toBe(list.items[0].id);
  });

  it('finds the caller by other details and associates the interaction', async () => {
    const created = await platform.ok<Interaction>('POST', '/api/v1/interactions', {
      channel: 'phone',
      direction: 'inbound',
      from: '+44 20 7946 0000',
      agentId: ADMIN_EMAIL,
      reference: 'call-0003',
    });
    const pop = page.locator(`[data-interaction="${created.id}"]`);
    await pop.getByText(/No customer matches/).waitFor();
    await pop.getByLabel('Postal code').fill('23681');
    await pop.getByRole('button', { name: 'Search' }).click();
    await pop.getByRole('button', { name: 'Link to Katherine Johnson' }).click();
    await pop.getByRole('link', { name: 'Katherine Johnson' }).waitFor();
    const after = await server.admin.ok<Interaction>('GET', `/api/v1/interactions/${created.id}`);
    expect(after.customerId).toBe(customerId);
    expect(errors).toEqual([]);
  });

  it('pops a repeat caller with their recent interactions (the README screenshot)', async () => {
    const close = page.getByRole('button', { name: /Close the panel of the/ });
    while ((await close.count()) > 0) await close.first().click();
    await page.goto(`${server.url}/customers/${customerId}?tab=cases`);
    await page.getByRole('link', { name: /100001/ }).waitFor();
    const created = await platform.ok<Interaction>('POST', '/api/v1/interactions', {
      channel: 'phone',
      direction: 'inbound',
      from: '4155550100',
      agentId: ADMIN_EMAIL,
      reference: 'call-0005',
    });
    const pop = page.locator(`[data-interaction="${created.id}"]`);
    await pop.getByText('Recent interactions').waitFor();
    await pop.getByText(/Asked about the trajectory report/).waitFor();
    await pop.getByLabel('Notes').fill('Calling again about the report.');
    await page.screenshot({ path: path.join(DOCS, 'screen-pop.png') });
  });

  it('works on a 390-wide phone: the pop comes first, nothing scrolls sideways', async () => {
    const phone = await newContext(browser, PHONE);
    const p = await phone.newPage();
    await signIn(p, server.url);
    await p.locator('[data-live="live"]').waitFor();
    await p.goto(`${server.url}/customers/${customerId}`);
    await p.locator('[data-live="live"]').waitFor();
    const created = await platform.ok<Interaction>('POST', '/api/v1/interactions', {
      channel: 'phone',
      direction: 'inbound',
      from: '415-555-0100',
      agentId: ADMIN_EMAIL,
      reference: 'call-0004',
    });
    const pop = p.locator(`[data-interaction="${created.id}"]`);
    await pop.getByRole('link', { name: 'Katherine Johnson' }).waitFor();
    const popTop = await pop.evaluate((el) => el.getBoundingClientRect().top);
    const mainTop = await p.locator('main').evaluate((el) => el.getBoundingClientRect().top);
    expect(popTop).toBeLessThan(mainTop);
    const overflow = await p.evaluate((w) => {
      if (document.documentElement.scrollWidth <= w) return [];
      return [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > w)
        .map((e) => `${e.tagName}.${e.className}`)
        .slice(0, 10);
    }, PHONE.width);
    expect(overflow).toEqual([]);
    await expectAccessible(p, 'phone screen pop');
    await screenshot(p, 'phone-screen-pop', true);
    await phone.close();
  });
});
