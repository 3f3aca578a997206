import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';
import { startTestApp, type TestApp } from '../../../test/helpers.js';
import { simpleMessage, uniqueId } from './email.test-helpers.js';

/**
 * The email channel's doors: STARTTLS and AUTH on the SMTP listener (a real
 * nodemailer client on loopback, a certificate made for the test), and the
 * HTTP intake with its own `email.ingest` key scope.
 */
describe('email channel protections', () => {
  let t: TestApp;
  let dir: string;
  let cert: string;
  const AUTH = { user: 'mta', pass: 'a long intake password' };

  beforeAll(async () => {
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: false },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
          ],
        },
      ],
    });
    cert = pems.cert;
    dir = mkdtempSync(path.join(tmpdir(), 'sb-smtp-tls-'));
    writeFileSync(path.join(dir, 'cert.pem'), pems.cert);
    writeFileSync(path.join(dir, 'key.pem'), pems.private, { mode: 0o600 });
    t = await startTestApp({
      env: {
        SMTP_LISTEN_PORT: '0',
        SMTP_ACCEPT_DOMAINS: 'support.test',
        SMTP_TLS_CERT: path.join(dir, 'cert.pem'),
        SMTP_TLS_KEY: path.join(dir, 'key.pem'),
        SMTP_AUTH_USER: AUTH.user,
        SMTP_AUTH_PASSWORD: AUTH.pass,
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const transport = (opts: Record<string, unknown>) =>
    nodemailer.createTransport({
      host: '127.0.0.1',
      port: t.ctx.services.email.smtpAddress!.port,
      secure: false,
      tls: { ca: [cert], servername: 'localhost' },
      ...opts,
    });
  const message = (subject: string) => ({
    envelope: { from: 'client@outside.test', to: ['support@support.test'] },
    raw: simpleMessage({ from: 'client@outside.test', subject, messageId: uniqueId('tls') }),
  });

  it('accepts mail over STARTTLS (the certificate checked by the client) with the right credentials', async () => {
    // requireTLS: the client fails unless STARTTLS succeeds with a certificate it trusts (ours, for localhost).
    const tr = transport({ requireTLS: true, auth: AUTH });
    await tr.verify();
    const info = await tr.sendMail(message('Over TLS'));
    expect(info.accepted).toEqual(['support@support.test']);
    expect(info.response).toMatch(/^250 /);
    tr.close();
  });

  it('a client that does not trust the certificate does not get through', async () => {
    const untrusting = transport({ requireTLS: true, auth: AUTH, tls: { servername: 'localhost' } });
    await expect(untrusting.sendMail(message('Untrusted'))).rejects.toThrow(/self[- ]signed|certificate/i);
    untrusting.close();
  });

  it('refuses mail without AUTH, and AUTH before STARTTLS', async () => {
    const noAuth = transport({ requireTLS: true });
    await expect(noAuth.sendMail(message('No auth'))).rejects.toMatchObject({ responseCode: 530 });
    noAuth.close();
    const plain = transport({ ignoreTLS: true, auth: AUTH });
    await expect(plain.sendMail(message('Auth in clear'))).rejects.toThrow();
    plain.close();
    const wrong = transport({ requireTLS: true, auth: { user: AUTH.user, pass: 'not the password' } });
    await expect(wrong.sendMail(message('Wrong password'))).rejects.toMatchObject({ responseCode: 535 });
    wrong.close();
  });

  it('AUTH needs TLS configured, and both halves of each pair are required', () => {
    expect(() => loadConfig({ SMTP_AUTH_USER: 'a', SMTP_AUTH_PASSWORD: 'a long password' })).toThrow(/SMTP_TLS_CERT/);
    expect(() => loadConfig({ SMTP_TLS_CERT: '/x' })).toThrow(/SMTP_TLS_KEY/);
  });

  it('the HTTP intake takes a key with the email.ingest scope, which can call nothing else', async () => {
    const agent = await t.user('agent');
    const refused = await agent.post('/api/v1/api-keys', { name: 'intake', scope: 'email.ingest' });
    expect(refused.statusCode).toBe(403);
    const created = await t.admin.post('/api/v1/api-keys', {
      name: 'intake',
      scope: 'email.ingest',
      userId: agent.userId,
    });
    expect(created.statusCode).toBe(201);
    const key = { authorization: `Bearer ${created.json().key}` };
    const post = (headers: Record<string, string>) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/email/inbound',
        headers: { ...headers, 'content-type': 'message/rfc822' },
        payload: simpleMessage({ from: 'web@outside.test', subject: 'Via HTTP', messageId: uniqueId('http') }),
      });
    expect((await post(key)).statusCode).toBe(201);
    for (const url of ['/api/v1/me', '/api/v1/customers', '/api/v1/email/quarantine']) {
      expect((await t.app.inject({ method: 'GET', url, headers: key })).statusCode, url).toBe(403);
    }
    // A full key of the same (agent) user may not post mail: the scope is the grant.
    const full = (await agent.post('/api/v1/api-keys', { name: 'full' })).json().key as string;
    expect((await post({ authorization: `Bearer ${full}` })).statusCode).toBe(403);
  });
});
