import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { App, AppContext } from '../context.js';
import type { Actor } from '../http/actor.js';
import { actorOf, SESSION_COOKIE } from '../http/auth.js';
import type { EventSink, StoredEvent } from './hub.js';
import { pruneEvents } from './prune.js';

/** A client that stops reading (buffer above this) is cut off; it resumes with Last-Event-ID. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
const PRUNE_EVERY_MS = 10 * 60_000;
/** The retry hint sent as a stream ends because its process is stopping. */
const RECONNECT_AFTER_SHUTDOWN_MS = 250;

/** The wire form of an event, as the console receives it. */
export function eventData(e: StoredEvent): Record<string, unknown> {
  const { requires: _requires, ...payload } = e.payload;
  return {
    ...payload,
    id: String(e.id),
    type: e.type,
    at: e.at.toISOString(),
    recordType: e.record_type,
    recordId: e.record_id,
  };
}

function formatEvent(e: StoredEvent): string {
  return `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(eventData(e))}\n\n`;
}

/**
 * Re-resolves the credential the stream was opened with (null: it no longer
 * signs anyone in). A re-check is not activity: it never slides the session's
 * idle expiry, so an unattended console still times out.
 */
function refresher(request: FastifyRequest, ctx: AppContext): () => Promise<Actor | null> {
  const m = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  const auth = ctx.services.auth;
  if (m) return () => auth.actorFromApiKey(m[1], true);
  const token = request.cookies?.[SESSION_COOKIE];
  if (token) {
    return async () => {
      const actor = (await auth.actorFromSession(token, { touch: false }))?.actor ?? null;
      // A role that now requires a second factor the user has not set up closes the stream too.
      return actor && !actor.mustEnrolTwoFactor ? actor : null;
    };
  }
  return async () => null;
}

const EventsQuery = Type.Object({
  lastEventId: Type.Optional(Type.String({ pattern: '^\\d{1,18}$', description: 'as the Last-Event-ID header' })),
});

export async function registerEventRoutes(app: App, ctx: AppContext): Promise<void> {
  ctx.jobs.every('events-prune', PRUNE_EVERY_MS, async () => {
    const n = await pruneEvents(ctx.db);
    if (n > 0) ctx.log.info({ pruned: n }, 'pruned old events');
  });

  app.get(
    '/api/v1/events',
    {
      // Opening (or reopening) the stream is not activity either: consoles reconnect by themselves.
      config: { access: 'authenticated', passive: true },
      schema: {
        tags: ['events'],
        summary:
          'Server-sent events for the signed-in user (or the agent an API key belongs to): reminders, assignments, screen pops, record changes. Send Last-Event-ID (or ?lastEventId=) to resume: missed events come first, in order. `event: reset` means the id is older than what is kept: reload.',
        querystring: EventsQuery,
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const header = request.headers['last-event-id'];
      const raw = typeof header === 'string' && header !== '' ? header : request.query.lastEventId;
      const lastEventId = raw && /^\d{1,18}$/.test(raw) ? Number(raw) : null;
      const refresh = refresher(request, ctx);
      const hub = ctx.hub;

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
      res.socket?.setNoDelay(true);

      let closed = false;
      const timers: NodeJS.Timeout[] = [];
      let disconnect: () => void = () => undefined;
      const finish = () => {
        if (closed) return;
        closed = true;
        for (const t of timers) clearInterval(t);
        disconnect();
        if (!res.writableEnded) res.end();
      };
      const write = (chunk: string) => {
        if (closed) return;
        res.write(chunk);
        if (res.writableLength > MAX_BUFFERED_BYTES) {
          request.log.warn('SSE client is not reading; closing its stream');
          finish();
          res.destroy();
        }
      };
      request.raw.on('close', finish);
      res.on('error', finish);

      write('retry: 2000\n\n');
      const sink: EventSink = {
        actor,
        lastSentId: 0,
        send: (e) => write(formatEvent(e)),
        reset: () => write('event: reset\ndata: {}\n\n'),
        // The server is stopping: reconnect soon (the balancer sends the console to another process).
        close: () => {
          write(`retry: ${RECONNECT_AFTER_SHUTDOWN_MS}\n\n`);
          finish();
        },
        recheck: async () => {
          if (closed) return;
          try {
            const fresh = await refresh();
            if (!fresh) finish();
            else sink.actor = fresh;
          } catch (err) {
            request.log.warn({ err }, 'could not re-check an event stream credential');
          }
        },
      };
      try {
        disconnect = await hub.connect(sink, lastEventId);
      } catch (err) {
        request.log.error({ err }, 'could not open the event stream');
        finish();
        return;
      }
      if (closed) {
        disconnect();
        return;
      }
      // The id on `ready` lets a client that saw no event yet resume from here after a drop.
      write(
        `id: ${sink.lastSentId}\nevent: ready\ndata: ${JSON.stringify({ lastEventId: String(sink.lastSentId) })}\n\n`,
      );
      timers.push(setInterval(() => write(': ping\n\n'), hub.heartbeatMs));
      timers.push(setInterval(() => void sink.recheck!(), hub.revalidateMs));
      for (const t of timers) t.unref();
    },
  );
}
