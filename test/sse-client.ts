import http from 'node:http';

/** One server-sent event as a client sees it. */
export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
  /** Date.now() when the event was parsed. */
  receivedAt: number;
}

export function json<T = Record<string, unknown>>(m: SseMessage): T {
  return JSON.parse(m.data) as T;
}

export interface SseOptions {
  headers?: Record<string, string>;
  lastEventId?: string | null;
  /** Called for every event, ready included (benchmarks use it instead of keeping all events). */
  onEvent?: (m: SseMessage) => void;
  /** Keep events in `events` (default true). */
  keep?: boolean;
  timeoutMs?: number;
}

/**
 * A tiny SSE client over node:http, enough for tests and benchmarks: parses
 * `id:`/`event:`/`data:` blocks, counts `:` comments (heartbeats), resolves
 * `open()` once the server's `ready` event arrives.
 */
export class SseClient {
  readonly events: SseMessage[] = [];
  comments = 0;
  lastEventId: string | null = null;
  ended = false;
  private buffer = '';
  private req: http.ClientRequest | null = null;
  private readonly waiters = new Set<() => void>();
  private readonly endWaiters = new Set<() => void>();

  private constructor(private readonly opts: SseOptions) {}

  static open(url: string, opts: SseOptions = {}): Promise<SseClient> {
    const client = new SseClient(opts);
    return client.connect(url);
  }

  private connect(url: string): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { accept: 'text/event-stream', ...this.opts.headers };
      if (this.opts.lastEventId) headers['last-event-id'] = this.opts.lastEventId;
      const timer = setTimeout(() => {
        reject(new Error(`no ready event from ${url}`));
        this.close();
      }, this.opts.timeoutMs ?? 30_000);
      const req = http.request(url, { method: 'GET', headers, agent: false }, (res) => {
        if (res.statusCode !== 200) {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => {
            clearTimeout(timer);
            reject(Object.assign(new Error(`SSE ${res.statusCode}: ${body}`), { status: res.statusCode }));
          });
          return;
        }
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          this.buffer += chunk;
          this.parse((m) => {
            if (m.event === 'ready') {
              clearTimeout(timer);
              resolve(this);
            }
          });
        });
        const end = () => {
          this.ended = true;
          clearTimeout(timer);
          for (const w of this.endWaiters) w();
          for (const w of this.waiters) w();
        };
        res.on('end', end);
        res.on('close', end);
      });
      req.on('error', (err) => {
        clearTimeout(timer);
        this.ended = true;
        for (const w of this.endWaiters) w();
        reject(err);
      });
      req.end();
      this.req = req;
    });
  }

  private parse(onMessage: (m: SseMessage) => void): void {
    for (;;) {
      const idx = this.buffer.indexOf('\n\n');
      if (idx < 0) return;
      const block = this.buffer.slice(0, idx);
      this.buffer = this.buffer.slice(idx + 2);
      let id: string | null = null;
      let event = 'message';
      const data: string[] = [];
      let hasField = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) {
          this.comments++;
          continue;
        }
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') id = value;
        else if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
        else continue;
        hasField = true;
      }
      if (!hasField || (data.length === 0 && id === null)) {
        for (const w of this.waiters) w();
        continue;
      }
      if (id !== null) this.lastEventId = id;
      const m: SseMessage = { id, event, data: data.join('\n'), receivedAt: Date.now() };
      if (this.opts.keep !== false) this.events.push(m);
      this.opts.onEvent?.(m);
      onMessage(m);
      for (const w of this.waiters) w();
    }
  }

  /** Events of one type (ready excluded unless asked for). */
  of(type: string): SseMessage[] {
    return this.events.filter((e) => e.event === type);
  }

  /** Waits until `check()` returns a value other than undefined/false. */
  async until<T>(check: () => T | undefined | false, timeoutMs = 15_000, what = 'condition'): Promise<T> {
    const first = check();
    if (first !== undefined && first !== false) return first;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error(`timed out waiting for ${what}; got ${this.events.map((e) => e.event).join(',')}`));
      }, timeoutMs);
      const w = () => {
        const v = check();
        if (v !== undefined && v !== false) {
          clearTimeout(timer);
          this.waiters.delete(w);
          resolve(v);
        } else if (this.ended) {
          clearTimeout(timer);
          this.waiters.delete(w);
          reject(new Error(`stream ended while waiting for ${what}`));
        }
      };
      this.waiters.add(w);
    });
  }

  /** Waits for the first event matching `pred`. */
  waitFor(pred: (m: SseMessage) => boolean, timeoutMs?: number): Promise<SseMessage> {
    return this.until(() => this.events.find(pred), timeoutMs, 'an event');
  }

  /** Resolves when the server ends the stream. */
  waitForEnd(timeoutMs = 15_000): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('stream did not end')), timeoutMs);
      this.endWaiters.add(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  close(): void {
    this.req?.destroy();
    this.ended = true;
  }
}

/** `http://127.0.0.1:<port>` of an app listening on an ephemeral port. */
export function baseUrl(address: string | { port: number } | null): string {
  if (address && typeof address === 'object') return `http://127.0.0.1:${address.port}`;
  throw new Error(`not listening on TCP: ${String(address)}`);
}
