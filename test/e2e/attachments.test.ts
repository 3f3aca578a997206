import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startSink } from '../../src/modules/email/email.test-helpers.js';
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

/** Files on notes and replies, and a rich-text reply (docs/email-and-support-center.md, docs/console.md). */
describe('attachments and rich-text replies (browser)', () => {
  let server: E2EServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let sink: Awaited<ReturnType<typeof startSink>>;
  let caseId: string;

  beforeAll(async () => {
    sink = await startSink();
    [server, browser] = await Promise.all([
      startServer({ SMTP_RELAY_URL: sink.url, MAIL_FROM: 'help@support.test' }),
      launchBrowser(),
    ]);
    const customer = await server.admin.ok<{ id: string }>('POST', '/api/v1/customers', {
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'ada@customer.test',
    });
    const kase = await server.admin.ok<{ id: string }>('POST', '/api/v1/cases', {
      customerId: customer.id,
      subject: 'Engine output garbled',
    });
    caseId = kase.id;
    page = await (await newContext(browser)).newPage();
    errors = watchErrors(page);
    await signIn(page, server.url);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await sink?.close();
  });

  it('attaches a file to a note; the timeline links to it', async () => {
    await page.goto(`${server.url}/cases/${caseId}`);
    const form = page.getByRole('form', { name: 'Add a follow-up' });
    await form.getByLabel('Add a note').fill('The log the customer sent by post.');
    await form.locator('input[type=file]').setInputFiles({
      name: 'engine log.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('bernoulli numbers: 1, -1/2, 1/6'),
    });
    await form.getByRole('list', { name: 'Attached files' }).getByText('engine log.txt').waitFor();
    await form.getByRole('button', { name: 'Add follow-up' }).click();
    const link = page.getByRole('list', { name: 'Attachments' }).getByRole('link', { name: 'engine log.txt' });
    await link.waitFor();
    const href = await link.getAttribute('href');
    const body = await page.evaluate(async (url) => (await fetch(url!)).text(), href);
    expect(body).toBe('bernoulli numbers: 1, -1/2, 1/6');
    await expectAccessible(page, 'case with an attached file');
  }, 90_000);

  it('sends a reply with bold text and a file: HTML and plain-text parts and the file reach the relay', async () => {
    await page.goto(`${server.url}/cases/${caseId}`);
    await page.getByRole('button', { name: 'Reply by email' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Rich text' }).click();
    const editor = dialog.getByRole('textbox', { name: 'Message' });
    await editor.click();
    await page.keyboard.type('Dear Ada, ');
    await dialog.getByRole('toolbar', { name: 'Formatting' }).getByRole('button', { name: 'Bold' }).click();
    await page.keyboard.type('it is fixed');
    await dialog.getByRole('button', { name: 'Bold' }).click();
    await page.keyboard.type('.');
    await dialog.locator('input[type=file]').setInputFiles({
      name: 'patch.diff',
      mimeType: 'text/x-diff',
      buffer: Buffer.from('- old\n+ new\n'),
    });
    await dialog.getByRole('list', { name: 'Attached files' }).getByText('patch.diff').waitFor();
    await screenshot(page, 'reply-rich-text-attachment');
    await expectAccessible(page, 'rich-text reply with an attachment');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'reply-rich-text-attachment-dark');
    await expectAccessible(page, 'rich-text reply with an attachment (dark)');
    await page.emulateMedia({ colorScheme: 'light' });
    await dialog.getByRole('button', { name: 'Send reply' }).click();
    await dialog.waitFor({ state: 'hidden' });

    await expect.poll(() => sink.messages.length, { timeout: 30_000, interval: 500 }).toBe(1);
    const mail = await simpleParser(sink.messages[0].raw);
    expect(mail.html).toMatch(/<(b|strong)>it is fixed<\/(b|strong)>/);
    expect(mail.text).toContain('Dear Ada, it is fixed.');
    expect(mail.attachments.map((a) => a.filename)).toEqual(['patch.diff']);
    expect(mail.attachments[0].content.toString()).toBe('- old\n+ new\n');
    // The reply shows its file in the timeline too.
    await page.getByRole('link', { name: 'patch.diff' }).waitFor();
    expect(errors).toEqual([]);
  }, 120_000);
});
