import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  SMTPServer,
  type SMTPServerAuthentication,
  type SMTPServerAuthenticationResponse,
  type SMTPServerDataStream,
  type SMTPServerSession,
} from 'smtp-server';
import type { FastifyBaseLogger } from 'fastify';
import type { EmailService } from './service.js';

interface SmtpListenerOptions {
  port: number;
  host: string;
  /** Accepted recipient domains (lower case); empty: every domain. */
  acceptDomains: string[];
  maxMessageBytes: number;
  /** Concurrent SMTP connections. */
  maxClients?: number;
  /** PEM key and certificate: the listener offers STARTTLS. */
  tls?: { key: Buffer; cert: Buffer };
  /** Required AUTH (PLAIN or LOGIN), only after STARTTLS. */
  auth?: { user: string; password: string };
}

/** Compares two secrets in constant time (hashes first, so lengths do not leak). */
function sameSecret(a: string, b: string): boolean {
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(a), h(b));
}

/** An SMTP reply with its code: smtp-server answers the client with it. */
function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

/**
 * The inbound SMTP listener (E1): accepts mail for the configured domains up
 * to the size limit and hands each message to the one ingestion path. A
 * message is acknowledged (250) only once it is stored or quarantined; when
 * neither could be written the answer is 451 and the sending server retries.
 * Meant to sit behind the site's MTA, on a private address
 * (SMTP_LISTEN_HOST defaults to 127.0.0.1). With a certificate it offers
 * STARTTLS; with credentials it requires AUTH, which it accepts only over
 * TLS, so a password never crosses the network in clear.
 */
export class SmtpListener {
  private server: SMTPServer | null = null;

  constructor(
    private readonly email: EmailService,
    private readonly opts: SmtpListenerOptions,
    private readonly log: FastifyBaseLogger,
  ) {}

  async start(): Promise<AddressInfo> {
    const { acceptDomains, maxMessageBytes } = this.opts;
    const { tls, auth } = this.opts;
    const server = new SMTPServer({
      name: 'switchboard',
      banner: 'Switchboard mail intake',
      size: maxMessageBytes,
      secure: false,
      ...(tls ? { key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' as const } : {}),
      authOptional: !auth,
      allowInsecureAuth: false,
      authMethods: ['PLAIN', 'LOGIN'],
      disabledCommands: [...(auth ? [] : ['AUTH']), ...(tls ? [] : ['STARTTLS'])],
      onAuth: (a, session, callback) => this.authenticate(a, session, callback),
      maxClients: this.opts.maxClients ?? 50,
      logger: false,
      onRcptTo: (address, _session, callback) => {
        const domain = address.address.split('@').pop()?.toLowerCase() ?? '';
        if (acceptDomains.length > 0 && !acceptDomains.includes(domain)) {
          callback(smtpError(550, `5.7.1 Relaying to <${address.address}> is not allowed here`));
          return;
        }
        callback();
      },
      onData: (stream, session, callback) => this.receive(stream, session, callback),
    });
    // A broken client or socket is that connection's problem, never the process's.
    server.on('error', (err) => this.log.warn({ err: { message: err.message } }, 'smtp listener error'));
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      server.server.once('error', onError);
      server.listen(this.opts.port, this.opts.host, () => {
        server.server.off('error', onError);
        resolve();
      });
    });
    this.server = server;
    return server.server.address() as AddressInfo;
  }

  private authenticate(
    a: SMTPServerAuthentication,
    session: SMTPServerSession,
    callback: (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void,
  ): void {
    const expected = this.opts.auth;
    if (expected && sameSecret(a.username ?? '', expected.user) && sameSecret(a.password ?? '', expected.password)) {
      callback(null, { user: expected.user });
      return;
    }
    this.log.warn({ remoteAddress: session.remoteAddress }, 'SMTP AUTH failed');
    callback(smtpError(535, '5.7.8 Authentication credentials invalid'));
  }

  private receive(
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
    callback: (err?: Error | null, message?: string) => void,
  ): void {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit the rest is read and dropped: memory stays bounded.
      if (size <= this.opts.maxMessageBytes) chunks.push(chunk);
    });
    stream.on('error', () => callback(smtpError(451, '4.3.0 The message could not be read; try again later')));
    stream.on('end', () => {
      if (stream.sizeExceeded || size > this.opts.maxMessageBytes) {
        callback(smtpError(552, `5.3.4 The message is larger than ${this.opts.maxMessageBytes} bytes`));
        return;
      }
      const raw = Buffer.concat(chunks);
      const env = session.envelope;
      this.email
        .ingest(raw, {
          source: 'smtp',
          mailFrom: env.mailFrom ? env.mailFrom.address || null : null,
          rcptTo: env.rcptTo.map((r) => r.address),
          remoteAddress: session.remoteAddress ?? null,
        })
        .then(
          (r) => callback(null, `2.0.0 Accepted (${r.outcome})`),
          (err: unknown) => {
            this.log.error({ err }, 'inbound email could not be stored or quarantined');
            callback(smtpError(451, '4.3.0 The message could not be stored; try again later'));
          },
        );
    });
  }

  address(): AddressInfo | null {
    return (this.server?.server.address() as AddressInfo | null) ?? null;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
