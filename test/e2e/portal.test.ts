import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { mime, startSink } from '../../src/modules/email/email.test-helpers.js';
import {
  expectAccessible,
  launchBrowser,
  newContext,
  PHONE,
  screenshot,
  startServer,
  watchErrors,
  type E2EServer,
} from './harness.js';

type Sink = Awaited<ReturnType<typeof startSink>>;

async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as AddressInfo).port;
  srv.close();
  await once(srv, 'close');
  return port;
}

async function waitFor<T>(what: string, fn: () => T | undefined | null, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The text part of a sent message, quoted-printable soft breaks undone. */
const textOf = (raw: string) =>
  raw
    .split(/\r?\n\r?\n/)
    .slice(1)
    .join('\n')
    .replace(/=\r?\n/g, '')
    .replace(/=3D/g, '=');

describe('Support Center (browser)', () => {
  let sink: Sink;
  let server: E2EServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let customer: { id: string; accountNumber: string };
  let password: string;
  let publicCase: { id: string; caseNumber: number };
  let smtpPort: number;
  let phone: Page;

  beforeAll(async () => {
    sink = await startSink();
    smtpPort = await freePort();
    [server, browser] = await Promise.all([
      startServer({
        SMTP_RELAY_URL: sink.url,
        SMTP_LISTEN_PORT: String(smtpPort),
        SMTP_ACCEPT_DOMAINS: 'support.test',
      }),
      launchBrowser(),
    ]);
    context = await newContext(browser);
    page = await context.newPage();
    errors = watchErrors(page);

    customer = await server.admin.ok('POST', '/api/v1/customers', {
      firstName: 'Petra',
      lastName: 'Portal',
      email: 'petra@customer.test',
    });
    publicCase = await server.admin.ok('POST', '/api/v1/cases', {
      customerId: customer.id,
      subject: 'Printer prints blank pages',
      description: 'Since Monday every page comes out blank.',
    });
    await server.admin.ok('POST', `/api/v1/cases/${publicCase.id}/follow-ups`, {
      kind: 'note',
      visibility: 'public',
      body: 'We have ordered a new toner cartridge for you.',
    });
    await server.admin.ok('POST', `/api/v1/cases/${publicCase.id}/follow-ups`, {
      kind: 'note',
      visibility: 'internal',
      body: 'INTERNAL: customer is on the slow-payer list',
    });
    await server.admin.ok('POST', '/api/v1/cases', {
      customerId: customer.id,
      subject: 'PRIVATE fraud check',
      visibility: 'private',
    });
    const access = await server.admin.ok<{ generatedPassword: string }>(
      'PUT',
      `/api/v1/customers/${customer.id}/portal-access`,
      { enabled: true, generatePassword: true },
    );
    password = access.generatedPassword;
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await sink?.close();
  });

  it('emails the sign-in details; the customer signs in and sees only their public case', async () => {
    const mail = await waitFor('the credentials email', () =>
      sink.messages.find((m) => m.to.includes('petra@customer.test')),
    );
    expect(textOf(mail.raw)).toContain(password);

    await page.goto(`${server.url}/portal`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await expectAccessible(page, 'portal sign-in');
    await page.getByLabel('Account number or email').fill(customer.accountNumber);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Wrong account number, email or password.').waitFor();

    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'My cases' }).waitFor();
    const list = page.getByRole('list', { name: 'My cases' });
    await list.getByRole('link', { name: /Printer prints blank pages/ }).waitFor();
    expect(await list.getByRole('listitem').count()).toBe(1);
    expect(await page.locator('main').innerText()).not.toContain('PRIVATE');
    await expectAccessible(page, 'portal cases');
    await screenshot(page, 'portal-cases');
  });

  it('shows a case with its public messages only, and takes a reply', async () => {
    await page.getByRole('link', { name: /Printer prints blank pages/ }).click();
    await page.getByRole('heading', { name: `#${publicCase.caseNumber} Printer prints blank pages` }).waitFor();
    await page.getByText('We have ordered a new toner cartridge for you.').waitFor();
    expect(await page.locator('main').innerText()).not.toContain('INTERNAL');
    await expectAccessible(page, 'portal case');

    await page.getByLabel('Your reply').fill('Thank you, the toner arrived.');
    await page.getByRole('button', { name: 'Send reply' }).click();
    await page.getByText('Reply sent.').waitFor();
    await page.getByRole('list', { name: 'Messages' }).getByText('Thank you, the toner arrived.').waitFor();
    await screenshot(page, 'portal-case');
    const fus = await server.admin.ok<{ items: { body: string; channel: string; visibility: string }[] }>(
      'GET',
      `/api/v1/cases/${publicCase.id}/follow-ups?order=newest&limit=1`,
    );
    expect(fus.items[0]).toMatchObject({
      body: 'Thank you, the toner arrived.',
      channel: 'portal',
      visibility: 'public',
    });
  });

  it('opens a new case', async () => {
    await page.getByRole('link', { name: '← My cases' }).click();
    await page.getByRole('link', { name: 'Open a new case' }).click();
    await page.getByRole('heading', { name: 'Open a new case' }).waitFor();
    await page.getByRole('button', { name: 'Open case' }).click();
    await page.getByText('Give your case a subject.').waitFor();
    await expectAccessible(page, 'portal new case with errors');
    await page.getByLabel('Subject').fill('Scanner is slow');
    await page.getByLabel('What happened?').fill('Scanning one page takes a minute.');
    await page.getByRole('button', { name: 'Open case' }).click();
    await page.getByRole('heading', { name: /#\d+ Scanner is slow/ }).waitFor();
    const cases = await server.admin.ok<{ items: { subject: string; channel: string; customerId: string }[] }>(
      'GET',
      `/api/v1/cases?customerId=${customer.id}`,
    );
    expect(cases.items.find((c) => c.subject === 'Scanner is slow')).toMatchObject({
      channel: 'portal',
      customerId: customer.id,
    });
  });

  it('resets a forgotten password through the emailed link, on a phone-sized screen', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    phone = await (await newContext(browser, PHONE)).newPage();
    const phoneErrors = watchErrors(phone);
    await phone.goto(`${server.url}/portal`);
    await phone.getByRole('link', { name: 'Forgot your password?' }).click();
    await phone.getByLabel('Account number or email').fill('petra@customer.test');
    const before = sink.messages.length;
    await phone.getByRole('button', { name: 'Email me a link' }).click();
    await phone.getByText(/we have sent a link/).waitFor();
    await expectAccessible(phone, 'portal forgot password');
    const mail = await waitFor('the reset email', () =>
      sink.messages.slice(before).find((m) => /reset#token=/.test(textOf(m.raw))),
    );
    const link = /(\/portal\/reset#token=[A-Za-z0-9_-]+)/.exec(textOf(mail.raw))![1];

    await phone.goto(`${server.url}${link}`);
    await phone.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await expectAccessible(phone, 'portal new password');
    await phone.getByLabel('New password (at least 8 characters)').fill('petra new password');
    await phone.getByLabel('New password again').fill('petra new password');
    await phone.getByRole('button', { name: 'Set password' }).click();
    await phone.getByText('Your password is changed.').waitFor();
    expect(phone.url()).not.toContain('token=');
    await screenshot(phone, 'portal-reset-phone');

    await phone.getByRole('link', { name: 'Sign in' }).click();
    await phone.getByLabel('Account number or email').fill('PETRA@customer.test');
    await phone.getByLabel('Password').fill('petra new password');
    await phone.getByRole('button', { name: 'Sign in' }).click();
    await phone.getByRole('heading', { name: 'My cases' }).waitFor();
    await screenshot(phone, 'portal-cases-phone');
    expect(phoneErrors).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("an email from the customer to the server's SMTP listener shows up as a case, with its attachment", async () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, ignoreTLS: true });
    const raw = mime(
      {
        From: 'Petra Portal <petra@customer.test>',
        To: 'help@support.test',
        Subject: 'Fax machine smokes',
        'Message-ID': `<fax.${Date.now()}@customer.test>`,
        'MIME-Version': '1.0',
        'Content-Type': 'multipart/mixed; boundary="fx"',
      },
      [
        '--fx',
        'Content-Type: text/plain',
        '',
        'There is smoke coming out of the fax.',
        '--fx',
        'Content-Type: text/plain; name="smoke-log.txt"',
        'Content-Disposition: attachment; filename="smoke-log.txt"',
        '',
        'smoke level: high',
        '--fx--',
        '',
      ].join('\r\n'),
    );
    const info = await transport.sendMail({
      envelope: { from: 'petra@customer.test', to: ['help@support.test'] },
      raw,
    });
    transport.close();
    expect(info.response).toContain('created');

    await phone.reload();
    await phone.getByRole('link', { name: /Fax machine smokes/ }).click();
    await phone.getByRole('list', { name: 'Messages' }).getByText('There is smoke coming out of the fax.').waitFor();
    const link = phone.getByRole('link', { name: 'smoke-log.txt' });
    const href = await link.getAttribute('href');
    const res = await phone.request.get(`${server.url}${href}`);
    expect(await res.text()).toBe('smoke level: high');
    await expectAccessible(phone, 'portal case from email');
  });
});
