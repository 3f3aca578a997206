import multipart from '@fastify/multipart';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../config.js';
import type { App, AppContext } from '../../context.js';
import type { IncomingFile } from './service.js';
import { FileTooLarge, formatBytes, MAX_FILES_PER_MESSAGE } from './uploads.js';
import { actorOf } from '../../http/auth.js';
import { AppError } from '../../http/errors.js';
import { PageOf } from '../../http/pagination.js';
import { IdParams, Problem } from '../../http/schemas.js';
import {
  Delivery,
  EmailDetails,
  EmailDetailsQuery,
  EmailStatus,
  FollowUpParams,
  InboundQuery,
  InboundResult,
  OutboxItem,
  OutboxQuery,
  QuarantineItem,
  QuarantineQuery,
  ReplyCreate,
  ReplyCreated,
  UploadedAttachments,
} from './schema.js';
import { SmtpListener } from './smtp.js';

/** The listener's certificate and key, read once at start; an unreadable file stops the start naming its variable. */
function readTlsFiles(paths: { certPath: string; keyPath: string }): { key: Buffer; cert: Buffer } {
  const read = (variable: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new ConfigError(`Invalid configuration:\n  ${variable}=${JSON.stringify(file)}: ${(err as Error).message}`);
    }
  };
  return { cert: read('SMTP_TLS_CERT', paths.certPath), key: read('SMTP_TLS_KEY', paths.keyPath) };
}

/** Raw bytes that must never be rendered by a browser as a page of ours. */
export function sendBytes(
  reply: FastifyReply,
  body: Buffer,
  type: string,
  disposition: 'inline' | 'attachment',
  filename?: string,
) {
  const name = filename ? `; filename*=UTF-8''${encodeURIComponent(filename)}` : '';
  return reply
    .header('content-type', type)
    .header('content-disposition', `${disposition}${name}`)
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox")
    .header('cache-control', 'private, no-store')
    .send(body);
}

/** Email channel routes (E1, E2, K3), the SMTP listener and the sender job. */
export async function registerEmailRoutes(app: App, ctx: AppContext): Promise<void> {
  const email = ctx.services.email;
  const tags = ['email'];
  const maxBytes = email.limits.maxMessageBytes;

  // A scope of our own: the message/rfc822 parser applies to the inbound route only.
  await app.register(async (scope: App) => {
    scope.addContentTypeParser('message/rfc822', { parseAs: 'buffer', bodyLimit: maxBytes }, (_req, body, done) =>
      done(null, body),
    );
    scope.post(
      '/api/v1/email/inbound',
      {
        bodyLimit: maxBytes,
        config: { access: 'admin', scopes: ['email.ingest'] },
        schema: {
          tags,
          summary:
            'One raw email (Content-Type: message/rfc822) into the email channel. Needs an API key with the email.ingest scope (made by an administrator; it can call nothing else), or an administrator: it creates customers and cases. 201 stored, 200 already stored (same Message-ID), 202 quarantined',
          querystring: InboundQuery,
          response: { 200: InboundResult, 201: InboundResult, 202: InboundResult, 413: Problem, 415: Problem },
        },
      },
      async (request, reply) => {
        if (!Buffer.isBuffer(request.body)) {
          throw new AppError(415, 'Unsupported Media Type', 'Send the raw message as Content-Type: message/rfc822');
        }
        const rcptTo = (request.query.rcptTo ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
          .slice(0, 500);
        const result = await email.ingestAs(actorOf(request), request.body, {
          source: 'http',
          mailFrom: request.query.mailFrom?.trim() || null,
          rcptTo,
          remoteAddress: request.ip,
        });
        const status = result.outcome === 'duplicate' ? 200 : result.outcome === 'quarantined' ? 202 : 201;
        return reply.status(status).send(result);
      },
    );
  });

  // Files for a new note or reply: a multipart form of `file` parts, in a scope of its own (the multipart parser).
  const { maxFileBytes, maxTotalBytes } = email.uploadLimits;
  await app.register(async (scope: App) => {
    await scope.register(multipart, {
      limits: { fileSize: maxFileBytes, files: MAX_FILES_PER_MESSAGE + 1, fields: 5, parts: MAX_FILES_PER_MESSAGE + 6 },
      throwFileSizeLimit: false,
    });
    scope.post(
      '/api/v1/cases/:id/attachments',
      {
        config: { access: 'cases.addFollowUp' },
        schema: {
          tags,
          summary:
            'Upload files for a new note or reply on the case (multipart/form-data, one or more `file` parts). They are ' +
            'pending for you on this case for 24 hours: name their ids in `attachmentIds` of POST …/follow-ups or …/replies. ' +
            '413 over ATTACHMENT_MAX_BYTES per file or ATTACHMENT_MAX_TOTAL_BYTES per message; 422 refused by the virus scanner',
          params: IdParams,
          response: { 201: UploadedAttachments, 400: Problem, 404: Problem, 413: Problem, 415: Problem, 422: Problem },
        },
      },
      async (request, reply) => {
        if (!request.isMultipart()) {
          throw new AppError(415, 'Unsupported Media Type', 'Send the files as multipart/form-data `file` parts');
        }
        const files: IncomingFile[] = [];
        let total = 0;
        for await (const part of request.files()) {
          const content = await part.toBuffer();
          total += content.length;
          files.push({ filename: part.filename, contentType: part.mimetype, content, truncated: part.file.truncated });
          if (part.file.truncated) break;
          if (total > maxTotalBytes) {
            throw new FileTooLarge(
              `The files come to more than ${formatBytes(maxTotalBytes)}, the most one message can carry.`,
            );
          }
        }
        const items = await email.upload(actorOf(request), request.params.id, files);
        return reply.status(201).send({ items });
      },
    );
  });

  app.get(
    '/api/v1/cases/:id/attachments',
    {
      config: { access: 'cases.view' },
      schema: {
        tags,
        summary: "Files attached to the case's notes and replies (uploaded by staff), oldest first",
        params: IdParams,
        response: { 200: UploadedAttachments, 404: Problem },
      },
    },
    async (request) => ({ items: await email.caseAttachments(actorOf(request), request.params.id) }),
  );

  ctx.jobs.every('email-uploads-prune', 3_600_000, async () => {
    await email.pruneUploads();
  });

  app.post(
    '/api/v1/cases/:id/replies',
    {
      config: { access: 'cases.addFollowUp' },
      schema: {
        tags,
        summary:
          "Reply to the customer by email: a public follow-up, sent through the SMTP relay with the case's thread headers and [#caseNumber] in the subject",
        params: IdParams,
        body: ReplyCreate,
        response: { 201: ReplyCreated, 400: Problem, 404: Problem },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await email.reply(actorOf(request), request.params.id, request.body)),
  );

  app.get(
    '/api/v1/cases/:id/follow-ups/:followUpId/email',
    {
      config: { access: 'cases.view' },
      schema: {
        tags,
        summary: "An email follow-up's message: sanitised HTML, text, attachments, and (replies) its delivery",
        params: FollowUpParams,
        querystring: EmailDetailsQuery,
        response: { 200: EmailDetails, 404: Problem },
      },
    },
    async (request) =>
      email.details(actorOf(request), request.params.id, request.params.followUpId, {
        remoteImages: request.query.remoteImages,
      }),
  );

  app.get(
    '/api/v1/cases/:id/follow-ups/:followUpId/source',
    {
      config: { access: 'cases.view' },
      schema: {
        tags,
        summary: 'The raw message as received or sent ("view source"), as text/plain',
        params: FollowUpParams,
      },
    },
    async (request, reply) => {
      const raw = await email.source(actorOf(request), request.params.id, request.params.followUpId);
      return sendBytes(reply, raw, 'text/plain; charset=utf-8', 'inline');
    },
  );

  app.get(
    '/api/v1/cases/:id/follow-ups/:followUpId/delivery',
    {
      config: { access: 'cases.view' },
      schema: {
        tags,
        summary: "A reply's delivery: queued, sent or failed, attempts and the last error",
        params: FollowUpParams,
        response: { 200: Delivery, 404: Problem },
      },
    },
    async (request) => email.delivery(actorOf(request), request.params.id, request.params.followUpId),
  );

  app.get(
    '/api/v1/email/attachments/:id',
    {
      config: { access: 'cases.view' },
      schema: { tags, summary: "An email attachment (cases.view on the attachment's case)", params: IdParams },
    },
    async (request, reply) => {
      const a = await email.attachment(actorOf(request), request.params.id);
      return sendBytes(reply, a.content, a.contentType, 'attachment', a.filename);
    },
  );

  app.get(
    '/api/v1/email/quarantine',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Messages that could not be taken in, with the reason (admin)',
        querystring: QuarantineQuery,
        response: { 200: PageOf(QuarantineItem) },
      },
    },
    async (request) => email.listQuarantine(actorOf(request), request.query),
  );

  app.get(
    '/api/v1/email/quarantine/:id',
    {
      config: { access: 'admin' },
      schema: { tags, params: IdParams, response: { 200: QuarantineItem, 404: Problem } },
    },
    async (request) => email.getQuarantine(actorOf(request), request.params.id),
  );

  app.get(
    '/api/v1/email/quarantine/:id/source',
    {
      config: { access: 'admin' },
      schema: { tags, summary: 'The raw quarantined message (admin)', params: IdParams },
    },
    async (request, reply) =>
      sendBytes(reply, await email.quarantineSource(actorOf(request), request.params.id), 'text/plain', 'inline'),
  );

  app.post(
    '/api/v1/email/quarantine/:id/retry',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Run a quarantined message through ingestion again (admin)',
        params: IdParams,
        response: {
          200: Type.Object({ item: QuarantineItem, result: Type.Union([InboundResult, Type.Null()]) }),
          404: Problem,
        },
      },
    },
    async (request) => email.retryQuarantine(actorOf(request), request.params.id),
  );

  app.get(
    '/api/v1/email/status',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary:
          'Whether outgoing mail can leave (a mail relay is configured: SMTP_RELAY_URL), the outbox counts by state and the oldest queued message (admin)',
        response: { 200: EmailStatus },
      },
    },
    async (request) => email.status(actorOf(request)),
  );

  app.get(
    '/api/v1/email/outbox',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Outgoing mail and its delivery (admin)',
        querystring: OutboxQuery,
        response: { 200: PageOf(OutboxItem) },
      },
    },
    async (request) => email.listOutbox(actorOf(request), request.query),
  );

  app.post(
    '/api/v1/email/outbox/:id/retry',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Send a queued or failed message now (admin)',
        params: IdParams,
        response: { 200: OutboxItem, 400: Problem, 404: Problem },
      },
    },
    async (request) => email.retryOutbox(actorOf(request), request.params.id),
  );

  ctx.jobs.every('email-sender', 5_000, async () => {
    await email.sendDue();
  });

  const smtp = ctx.config.smtp;
  let listener: SmtpListener | null = null;
  if (smtp.listenPort !== undefined) {
    listener = new SmtpListener(
      email,
      {
        port: smtp.listenPort,
        host: smtp.listenHost,
        acceptDomains: smtp.acceptDomains,
        maxMessageBytes: maxBytes,
        tls: smtp.tls ? readTlsFiles(smtp.tls) : undefined,
        auth: smtp.auth,
      },
      ctx.log,
    );
    app.addHook('onReady', async () => {
      const addr = await listener!.start();
      email.smtpAddress = addr;
      ctx.log.info({ port: addr.port, host: addr.address }, 'SMTP listener started');
    });
  }
  app.addHook('preClose', async () => {
    await listener?.stop();
  });
  // After the jobs have stopped (preClose): the parser's worker and the relay connection.
  app.addHook('onClose', async () => {
    await email.close();
  });
}
