import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/adapter.js';
import type { Actor } from '../http/actor.js';
import type { Privilege } from '../modules/users/privileges.js';
import { EVENTS_CHANNEL } from './outbox.js';

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
  actor: Actor;
  /** Highest event id already sent to this client. */
  lastSentId: number;
  send(event: StoredEvent): void;
}

const BATCH = 1000;

/**
 * One per server process: listens for NOTIFY on the outbox channel, reads the
 * new events once, and hands each to the connected clients it is for. A slow
 * poll backs up NOTIFY (a listener reconnect can lose one).
 */
export class EventHub {
  private readonly sinks = new Map<string, Set<EventSink>>();
  private cursor = 0;
  private draining: Promise<void> | null = null;
  private again = false;
  private unlisten: (() => Promise<void>) | null = null;
  private poll: NodeJS.Timeout | null = null;
  private readonly onDeliver = new Set<(e: StoredEvent) => void>();

  constructor(
    private readonly db: Db,
    private readonly log: FastifyBaseLogger,
    private readonly pollMs = 2000,
  ) {}

  async start(): Promise<void> {
    const row = await this.db.query<{ max: number | null }>('SELECT max(id) AS max FROM events');
    this.cursor = row[0]?.max ?? 0;
    this.unlisten = await this.db.listen(EVENTS_CHANNEL, () => this.wake());
    this.poll = setInterval(() => this.wake(), this.pollMs);
    this.poll.unref();
  }

  async stop(): Promise<void> {
    if (this.poll) clearInterval(this.poll);
    if (this.unlisten) await this.unlisten();
    await this.draining;
    for (const set of this.sinks.values()) set.clear();
  }

  get connectedClients(): number {
    let n = 0;
    for (const s of this.sinks.values()) n += s.size;
    return n;
  }

  /** Observers of every event this process reads (tests, metrics). */
  subscribeAll(fn: (e: StoredEvent) => void): () => void {
    this.onDeliver.add(fn);
    return () => this.onDeliver.delete(fn);
  }

  /**
   * Connects a client. With `lastEventId` it first replays what the client
   * missed; live events that arrive meanwhile are held back and deduplicated.
   */
  async connect(sink: EventSink, lastEventId: number | null): Promise<() => void> {
    const userId = sink.actor.userId ?? '';
    let set = this.sinks.get(userId);
    if (!set) this.sinks.set(userId, (set = new Set()));
    const pending: StoredEvent[] = [];
    let replaying = lastEventId !== null;
    const live: EventSink = {
      actor: sink.actor,
      get lastSentId() {
        return sink.lastSentId;
      },
      set lastSentId(v: number) {
        sink.lastSentId = v;
      },
      send: (e) => {
        if (replaying) pending.push(e);
        else if (e.id > sink.lastSentId) sink.send(e);
      },
    };
    set.add(live);
    if (lastEventId !== null) {
      sink.lastSentId = lastEventId;
      try {
        for (;;) {
          const rows = await this.db.query<StoredEvent>(
            `SELECT * FROM events WHERE id > $1 AND (user_id = $2 OR user_id IS NULL) ORDER BY id LIMIT ${BATCH}`,
            [sink.lastSentId, sink.actor.userId],
          );
          for (const e of rows) if (this.isFor(e, sink.actor)) sink.send(e);
          if (rows.length > 0) sink.lastSentId = Math.max(sink.lastSentId, rows[rows.length - 1].id);
          if (rows.length < BATCH) break;
        }
      } finally {
        replaying = false;
        for (const e of pending) if (e.id > sink.lastSentId) sink.send(e);
      }
    }
    return () => {
      set.delete(live);
      if (set.size === 0) this.sinks.delete(userId);
    };
  }

  private isFor(e: StoredEvent, actor: Actor): boolean {
    if (e.user_id !== null) return e.user_id === actor.userId;
    const requires = e.payload.requires as Privilege | undefined;
    return !requires || actor.privileges.has(requires);
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
        for (const fn of this.onDeliver) fn(e);
        if (e.user_id !== null) {
          for (const s of this.sinks.get(e.user_id) ?? []) s.send(e);
        } else {
          for (const set of this.sinks.values()) for (const s of set) if (this.isFor(e, s.actor)) s.send(e);
        }
      }
      if (rows.length < BATCH) return;
    }
  }
}
