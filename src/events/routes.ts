import type { App, AppContext } from '../context.js';
import { actorOf } from '../http/auth.js';
import type { StoredEvent } from './hub.js';

const HEARTBEAT_MS = 25_000;

/** The wire form of an event, as the console receives it. */
export function eventData(e: StoredEvent): Record<string, unknown> {
  const { requires: _requires, ...payload } = e.payload;
  return {
    id: String(e.id),
    type: e.type,
    at: e.at.toISOString(),
    recordType: e.record_type,
    recordId: e.record_id,
    ...payload,
  };
}

export async function registerEventRoutes(app: App, ctx: AppContext): Promise<void> {
  app.get(
    '/api/v1/events',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['events'],
        summary:
          'Server-sent events for the signed-in user: screen pops, reminders, assignments, record changes. Send Last-Event-ID to resume.',
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const header = request.headers['last-event-id'];
      const query = request.query as Record<string, string | undefined>;
      const raw = typeof header === 'string' ? header : query.lastEventId;
      const lastEventId = raw && /^\d{1,18}$/.test(raw) ? Number(raw) : null;

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
      res.write('retry: 2000\n\n');
      const sink = {
        actor,
        lastSentId: 0,
        send(e: StoredEvent) {
          sink.lastSentId = e.id;
          res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(eventData(e))}\n\n`);
        },
      };
      const disconnect = await ctx.hub.connect(sink, lastEventId);
      res.write(`event: ready\ndata: {}\n\n`);
      const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
      request.raw.on('close', () => {
        clearInterval(heartbeat);
        disconnect();
      });
    },
  );
}
