import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/adapter.js';
import type { Actor } from '../http/actor.js';
import { EVENTS_CHANNEL } from './outbox.js';
import { LIVE_EVENTS } from './registry.js';

export interface StoredEvent {
  id: number;
  at: Date;
  user_id: string | null;
  type: string;
  record_type: string | null;
  record_id: string | null;
  payload: Record<string, unknown>;
}

export interface EventSink {
  /** Who is connected; the SSE route refreshes it (privileges change, sessions end). */
  actor: Actor;
  /** Highest event id already sent to this client (the hub keeps it up to date). */
  lastSentId: number;
  send(event: StoredEvent): void;
  /** The client resumed from an id older than what is kept: it must reload its state. */
  reset?(): void;
  /** The server is stopping: end the stream (the client reconnects elsewhere with Last-Event-ID). */
  close?(): void;
  /** Re-checks the credential the stream was opened with: refreshes `actor`, or closes the stream. */
  recheck?(): Promise<void>;
}

const BATCH = 1000;

/**
 * Whether an event may go to this actor: its own user events, and broadcasts it
 * holds the privileges for: those its kind needs (the registry's `requires`,
 * checked now, so a stored event follows the current rules) and those the
 * emitter asked for.
 */
function eventIsFor(e: StoredEvent, actor: Actor): boolean {
  if (e.user_id !== null && e.user_id !== actor.userId) return false;
  const spec = Object.hasOwn(LIVE_EVENTS, e.type) ? LIVE_EVENTS[e.type as keyof typeof LIVE_EVENTS] : null;
  if (spec && !spec.requires.every((p) => actor.privileges.has(p))) return false;
  const requires = e.payload.requires;
  if (requires === undefined || requires === null) return true;
  const list: unknown[] = Array.isArray(requires) ? requires : [requires];
  // An unreadable requirement denies: a broadcast is never sent to someone who might lack the privilege.
  return list.every((p) => typeof p === 'string' && actor.privileges.has(p as never));
}

interface Client {
  sink: EventSink;
  /** While the backlog is read from the table, live events wait here (then deduplicated by id). */
  pending: StoredEvent[] | null;
}

/**
 * One per server process: listens for NOTIFY on the outbox channel, reads the
 * new events once, and hands each to the connected clients it is for. A slow
 * poll backs up NOTIFY (a listener reconnect can lose one).
 *
 * Events become visible in id order (see emitEvent), so "everything after id N"
 * is a complete answer: the hub's cursor and each client's Last-Event-ID never
 * skip an event that commits later.
 */
export class EventHub {
  private readonly byUser = new Map<string, Set<Client>>();
  private cursor = 0;
  private started = false;
  private draining: Promise<void> | null = null;
  private again = false;
  private unlisten: (() => Promise<void>) | null = null;
  private poll: NodeJS.Timeout | null = null;
  private readonly observers = new Set<(e: StoredEvent) => void>();
  /** SSE comment lines keep proxies and load balancers from closing an idle stream. */
  heartbeatMs = 20_000;
  /** How often an open stream re-checks its session or API key (disabled users, changed privileges). */
  revalidateMs = 60_000;

  constructor(
    private readonly db: Db,
    private readonly log: FastifyBaseLogger,
    private readonly pollMs = 2000,
  ) {}

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const row = await this.db.query<{ max: number | null }>('SELECT max(id) AS max FROM events');
    this.cursor = row[0]?.max ?? 0;
    this.unlisten = await this.db.listen(EVENTS_CHANNEL, () => this.wake());
    this.poll = setInterval(() => this.wake(), this.pollMs);
    this.poll.unref();
  }

  async stop(): Promise<void> {
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
    if (this.unlisten) await this.unlisten();
    this.unlisten = null;
    await this.draining;
    this.started = false;
    const clients = [...this.byUser.values()].flatMap((set) => [...set]);
    this.byUser.clear();
    for (const c of clients) {
      try {
        c.sink.close?.();
      } catch {
        /* already gone */
      }
    }
  }

  get connectedClients(): number {
    let n = 0;
    for (const s of this.byUser.values()) n += s.size;
    return n;
  }

  /** How many users have at least one event stream open on this process (the wallboard's "agents connected"). */
  connectedUsers(): number {
    let n = 0;
    for (const s of this.byUser.values()) if (s.size > 0) n++;
    return n;
  }

  /** The id of the last event this process has read (fresh connections start after it). */
  get lastEventId(): number {
    return this.cursor;
  }

  /** Observers of every event this process reads (tests, metrics). */
  subscribeAll(fn: (e: StoredEvent) => void): () => void {
    this.observers.add(fn);
    return () => this.observers.delete(fn);
  }

  /** Re-checks every open stream's credential now (the SSE route also does it every `revalidateMs`). */
  async recheckAll(): Promise<void> {
    const clients = [...this.byUser.values()].flatMap((set) => [...set]);
    await Promise.all(clients.map((c) => c.sink.recheck?.()));
  }

  /** Reads and fans out what is new now, instead of waiting for NOTIFY or the poll. */
  async flush(): Promise<void> {
    this.wake();
    while (this.draining) await this.draining;
  }

  /**
   * Connects a client. With `lastEventId` it first replays, in id order, what the
   * client missed (from the table); live events arriving meanwhile are held back
   * and deduplicated. Without it the client starts after the last event read.
   * Returns the function that disconnects it.
   */
  async connect(sink: EventSink, lastEventId: number | null): Promise<() => void> {
    const key = sink.actor.userId ?? '';
    const client: Client = { sink, pending: lastEventId === null ? null : [] };
    let set = this.byUser.get(key);
    if (!set) this.byUser.set(key, (set = new Set()));
    set.add(client);
    const disconnect = () => {
      const s = this.byUser.get(key);
      if (!s) return;
      s.delete(client);
      if (s.size === 0) this.byUser.delete(key);
    };
    if (lastEventId === null) {
      sink.lastSentId = this.cursor;
      return disconnect;
    }
    sink.lastSentId = lastEventId;
    try {
      const pruned = await this.db.query<{ through_id: number }>('SELECT through_id FROM events_pruned');
      const through = pruned[0]?.through_id ?? 0;
      if (lastEventId < through) {
        sink.reset?.();
        sink.lastSentId = through;
      }
      for (;;) {
        const rows = await this.db.query<StoredEvent>(
          `SELECT * FROM events WHERE id > $1 AND (user_id = $2 OR user_id IS NULL) ORDER BY id LIMIT ${BATCH}`,
          [sink.lastSentId, sink.actor.userId],
        );
        for (const e of rows) this.deliver(client, e, true);
        if (rows.length > 0) sink.lastSentId = Math.max(sink.lastSentId, rows[rows.length - 1].id);
        if (rows.length < BATCH) break;
      }
    } catch (err) {
      disconnect();
      throw err;
    } finally {
      const held = client.pending ?? [];
      client.pending = null;
      for (const e of held) this.deliver(client, e, false);
    }
    return disconnect;
  }

  private deliver(client: Client, e: StoredEvent, replay: boolean): void {
    if (!replay && client.pending) {
      client.pending.push(e);
      return;
    }
    if (e.id <= client.sink.lastSentId || !eventIsFor(e, client.sink.actor)) return;
    client.sink.lastSentId = e.id;
    try {
      client.sink.send(e);
    } catch (err) {
      this.log.warn({ err }, 'sending a live event failed');
    }
  }

  private wake(): void {
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain()
      .catch((err) => this.log.warn({ err }, 'event fan-out failed; will retry'))
      .finally(() => {
        this.draining = null;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async drain(): Promise<void> {
    for (;;) {
      const rows = await this.db.query<StoredEvent>(`SELECT * FROM events WHERE id > $1 ORDER BY id LIMIT ${BATCH}`, [
        this.cursor,
      ]);
      for (const e of rows) {
        this.cursor = e.id;
        for (const fn of this.observers) fn(e);
        if (e.user_id !== null) {
          const set = this.byUser.get(e.user_id);
          if (set) for (const c of set) this.deliver(c, e, false);
        } else {
          for (const set of this.byUser.values()) for (const c of set) this.deliver(c, e, false);
        }
      }
      if (rows.length < BATCH) return;
    }
  }
}
