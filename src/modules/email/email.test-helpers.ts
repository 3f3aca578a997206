import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import type { TestApp, TestClient } from '../../../test/helpers.js';

/** A raw message from header lines and a body (CRLF line ends). */
export function mime(headers: Record<string, string>, body: string): Buffer {
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  return Buffer.from([...lines, '', body].join('\r\n'), 'utf8');
}

let seq = 0;
export function uniqueId(tag = 'msg'): string {
  return `${tag}.${process.pid}.${Date.now()}.${++seq}@sender.test`;
}

/** A plain text message from `from` with a fresh Message-ID unless given. */
export function simpleMessage(o: {
  from: string;
  to?: string;
  cc?: string;
  subject: string;
  body?: string;
  messageId?: string | null;
  extra?: Record<string, string>;
}): Buffer {
  const h: Record<string, string> = {
    From: o.from,
    To: o.to ?? 'support@support.test',
    Subject: o.subject,
    Date: new Date().toUTCString(),
    'MIME-Version': '1.0',
    'Content-Type': 'text/plain; charset=utf-8',
  };
  if (o.cc) h.Cc = o.cc;
  if (o.messageId !== null) h['Message-ID'] = `<${o.messageId ?? uniqueId()}>`;
  Object.assign(h, o.extra ?? {});
  return mime(h, o.body ?? 'Hello, I need help.');
}

/** Posts a raw message to the HTTP endpoint. */
export function postInbound(client: TestClient, raw: Buffer, query = '') {
  return client.app.inject({
    method: 'POST',
    url: `/api/v1/email/inbound${query}`,
    headers: { ...client.headers, 'content-type': 'message/rfc822' },
    payload: raw,
  });
}

export interface SentViaSmtp {
  accepted: string[];
  response: string;
}

/** Sends a raw message over real SMTP to the app's listener. */
export async function sendSmtp(
  t: TestApp,
  raw: Buffer,
  envelope: { from: string; to: string[] },
): Promise<SentViaSmtp> {
  const addr = t.ctx.services.email.smtpAddress!;
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: addr.port,
    secure: false,
    ignoreTLS: true,
    connectionTimeout: 10_000,
    socketTimeout: 60_000,
  });
  try {
    const info = await transport.sendMail({ envelope, raw });
    return { accepted: info.accepted.map(String), response: info.response };
  } finally {
    transport.close();
  }
}

export interface SinkMessage {
  from: string;
  to: string[];
  raw: string;
}

/**
 * A local SMTP server standing in for the relay. `refuse` decides, per
 * message, an SMTP error code to answer instead of accepting (e.g. 451 once).
 */
export async function startSink(refuse: (n: number) => number | null = () => null) {
  const messages: SinkMessage[] = [];
  let n = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const code = refuse(++n);
        if (code) {
          callback(
            Object.assign(new Error(code >= 500 ? 'No such user here' : 'Try again later'), { responseCode: code }),
          );
          return;
        }
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    attempts: () => n,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A header's value from a raw message (first occurrence, unfolded). */
export function headerOf(raw: string, name: string): string | null {
  const head = raw.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
  const m = new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head);
  return m ? m[1].trim() : null;
}
