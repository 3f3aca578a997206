import { api } from './api.js';
import type { LiveEvent } from './types.js';

/**
 * The live-events connection: one EventSource on /api/v1/events for the
 * signed-in user. The browser reconnects by itself after a network blip (with
 * Last-Event-ID); when the server refuses (session ended) the source closes,
 * so we check the session (which may ask the user to sign in again) and
 * reconnect from the last event seen, with a growing delay.
 */
export type LiveStatus = 'connecting' | 'live' | 'offline';
type Listener = (e: LiveEvent) => void;

/** The event names the server sends (`event:` lines); EventSource only delivers names it listens for. */
export const EVENT_TYPES = [
  'reminder',
  'reminder.cleared',
  'task.assigned',
  'case.assigned',
  'record.changed',
  'customer.created',
  'customer.updated',
  'customer.deleted',
  'screen.pop',
  'interaction.pop',
  'interaction.updated',
  'interaction.closed',
  'message',
  'import.progress',
  'import.completed',
];

export class LiveConnection {
  private source: EventSource | null = null;
  private lastId: string | null = null;
  private readonly listeners = new Set<Listener>();
  private readonly statusListeners = new Set<(s: LiveStatus) => void>();
  private retryMs = 1000;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  status: LiveStatus = 'connecting';
  /** Ids already handed out (a resumed stream may repeat one). */
  private readonly seen = new Set<string>();

  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.source?.close();
    this.source = null;
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onStatus(fn: (s: LiveStatus) => void): () => void {
    this.statusListeners.add(fn);
    return () => this.statusListeners.delete(fn);
  }

  private setStatus(s: LiveStatus): void {
    if (this.status === s) return;
    this.status = s;
    for (const fn of this.statusListeners) fn(s);
  }

  private open(): void {
    if (this.stopped) return;
    this.setStatus('connecting');
    const url = this.lastId ? `/api/v1/events?lastEventId=${encodeURIComponent(this.lastId)}` : '/api/v1/events';
    const es = new EventSource(url, { withCredentials: true });
    this.source = es;
    es.addEventListener('open', () => {
      this.retryMs = 1000;
      this.setStatus('live');
    });
    es.addEventListener('ready', (ev) => {
      this.setStatus('live');
      // The stream's position: a reconnect resumes from here even if no event came yet.
      try {
        const id = (JSON.parse((ev as MessageEvent<string>).data) as { lastEventId?: string }).lastEventId;
        if (id && /^\d+$/.test(id) && id !== '0' && (!this.lastId || Number(id) > Number(this.lastId)))
          this.lastId = id;
      } catch {
        // no position: keep ours
      }
    });
    // Our position is older than what the server keeps: start afresh and let screens reload.
    es.addEventListener('reset', () => {
      this.lastId = null;
      this.seen.clear();
      const e = { id: '', type: 'reset', at: new Date().toISOString(), recordType: null, recordId: null };
      for (const fn of this.listeners) fn(e);
    });
    const handle = (ev: MessageEvent<string>) => this.deliver(ev);
    for (const t of EVENT_TYPES) es.addEventListener(t, handle as EventListener);
    es.addEventListener('error', () => {
      if (es.readyState === EventSource.CLOSED) {
        this.setStatus('offline');
        es.close();
        if (this.source === es) this.source = null;
        this.scheduleReconnect();
      } else {
        this.setStatus('connecting');
      }
    });
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.timer) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, 30_000);
    this.timer = setTimeout(() => {
      this.timer = null;
      // A refused stream is most often an ended session: this call asks to sign in again if so.
      api.get('/api/v1/me').then(
        () => this.open(),
        () => this.scheduleReconnect(),
      );
    }, delay);
  }

  private deliver(ev: MessageEvent<string>): void {
    let data: LiveEvent;
    try {
      data = JSON.parse(ev.data) as LiveEvent;
    } catch {
      return;
    }
    const id = ev.lastEventId || data.id;
    if (id) {
      if (this.seen.has(id)) return;
      this.seen.add(id);
      if (this.seen.size > 2000) this.seen.delete(this.seen.values().next().value as string);
      this.lastId = id;
    }
    if (!data.type) data.type = ev.type;
    for (const fn of this.listeners) fn(data);
  }
}

export const live = new LiveConnection();
