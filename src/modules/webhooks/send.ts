import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';

/** An idle keep-alive connection is closed after this long (below Node's 5 s server default, so the receiver rarely closes it first). */
const IDLE_SOCKET_MS = 4000;
/** A pool unused this long is closed (its host now resolves elsewhere, or the endpoint went). */
const IDLE_POOL_MS = 30_000;

/** A lookup that answers only the checked address (a second DNS answer cannot swap in another). */
function pinnedLookup(pinned: { address: string; family: number }): LookupFunction {
  return (_host, opts, cb) => {
    if ((opts as { all?: boolean }).all) {
      (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [pinned]);
    } else cb(null, pinned.address, pinned.family);
  };
}

/**
 * Keep-alive connections for deliveries: one pool per (scheme, host, port,
 * checked address), so a connection is reused only for the same endpoint
 * host and the address the SSRF guard passed; when the host resolves to
 * another address, its attempts go to another pool and the old one is closed
 * once idle. At most `maxSockets` connections per pool.
 */
export class PinnedAgents {
  private readonly pools = new Map<string, { agent: http.Agent; usedAt: number }>();
  private sweptAt = performance.now();

  constructor(private readonly maxSockets: number) {}

  agentFor(url: URL, pinned: { address: string; family: number }): http.Agent {
    const now = performance.now();
    if (now - this.sweptAt > IDLE_POOL_MS) this.sweep(now);
    const key = `${url.protocol}//${url.host}|${pinned.address}`;
    let pool = this.pools.get(key);
    if (!pool) {
      const opts = {
        keepAlive: true,
        maxSockets: this.maxSockets,
        timeout: IDLE_SOCKET_MS,
        lookup: pinnedLookup(pinned),
      };
      pool = { agent: url.protocol === 'https:' ? new https.Agent(opts) : new http.Agent(opts), usedAt: now };
      this.pools.set(key, pool);
    }
    pool.usedAt = now;
    return pool.agent;
  }

  /** Closes every connection (shutdown). */
  close(): void {
    for (const p of this.pools.values()) p.agent.destroy();
    this.pools.clear();
  }

  private sweep(now: number): void {
    this.sweptAt = now;
    for (const [key, p] of this.pools) {
      if (now - p.usedAt > IDLE_POOL_MS) {
        p.agent.destroy();
        this.pools.delete(key);
      }
    }
  }
}

/** At most this much of a response is read (the log keeps an excerpt). */
const RESPONSE_READ_LIMIT = 64 * 1024;
const EXCERPT_CHARS = 1000;

export interface SendResult {
  status: number | null;
  error: string | null;
  excerpt: string | null;
  latencyMs: number;
}

/**
 * One POST to a checked, pinned address over a keep-alive connection of
 * `agents` (one for that host and address): no redirects followed (a 3xx is
 * a failure like any non-2xx), a timeout for the whole exchange, at most
 * 64 KB of the answer read.
 */
export function postPinned(
  agents: PinnedAgents,
  url: URL,
  pinned: { address: string; family: number },
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<SendResult> {
  const started = performance.now();
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: Omit<SendResult, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, latencyMs: Math.round(performance.now() - started) });
    };
    const req = mod.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        lookup: pinnedLookup(pinned),
        agent: agents.agentFor(url, pinned),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const finish = () => {
          const text = Buffer.concat(chunks).toString('utf8').slice(0, EXCERPT_CHARS);
          done({ status: res.statusCode ?? null, error: null, excerpt: text || null });
        };
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= RESPONSE_READ_LIMIT) chunks.push(c);
          else {
            finish();
            res.destroy(); // the rest is not read: the connection is closed, not reused
          }
        });
        res.on('end', finish); // read to the end: the connection goes back to the pool
        res.on('error', finish);
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (err) => done({ status: null, error: err.message, excerpt: null }));
    req.end(body);
  });
}

/** What `exchangePinned` answers: the status and the body (up to its limit), or an error without a status. */
interface Exchange {
  status: number | null;
  body: string;
  error: string | null;
  /** The answer was cut at the limit. */
  truncated: boolean;
  latencyMs: number;
  /** The answer's headers (lower-case names); empty without an answer. */
  headers: Record<string, string>;
}

/**
 * One request of any method to a checked, pinned address (the connectors'
 * calls): like postPinned, no redirects, one timeout for the whole exchange,
 * and an AbortSignal that ends it early; reads up to `limit` bytes of the answer.
 */
export function exchangePinned(opts: {
  /** GET, POST and PUT; the WebDAV methods the CardDAV connector uses (REPORT, PROPFIND, DELETE). */
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'REPORT' | 'PROPFIND';
  url: URL;
  pinned: { address: string; family: number };
  headers: Record<string, string>;
  body: string | null;
  timeoutMs: number;
  limit: number;
  signal?: AbortSignal;
  /** The body's type (default application/json). */
  contentType?: string;
}): Promise<Exchange> {
  const { url, pinned, body, timeoutMs, limit, signal } = opts;
  const started = performance.now();
  const mod = url.protocol === 'https:' ? https : http;
  const headers: Record<string, string | number> = { ...opts.headers };
  if (body !== null) {
    headers['content-type'] = opts.contentType ?? 'application/json';
    headers['content-length'] = Buffer.byteLength(body);
  }
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: Omit<Exchange, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve({ ...r, latencyMs: Math.round(performance.now() - started) });
    };
    const req = mod.request(
      url,
      { method: opts.method, headers, lookup: pinnedLookup(pinned), agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        const finish = () => {
          const answered: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) answered[k] = String(v);
          done({
            status: res.statusCode ?? null,
            body: Buffer.concat(chunks).toString('utf8'),
            error: null,
            truncated,
            headers: answered,
          });
          res.destroy();
        };
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= limit) chunks.push(c);
          else {
            truncated = true;
            finish();
          }
        });
        res.on('end', finish);
        res.on('error', finish);
      },
    );
    const onAbort = () => req.destroy(new Error('abandoned: past its budget'));
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (err) => done({ status: null, body: '', error: err.message, truncated: false, headers: {} }));
    if (signal?.aborted) onAbort();
    req.end(body ?? undefined);
  });
}
