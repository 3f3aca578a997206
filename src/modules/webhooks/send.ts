import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';

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
 * One POST to a checked, pinned address: no redirects followed (a 3xx is a
 * failure like any non-2xx), a timeout for the whole exchange, at most 64 KB
 * of the answer read.
 */
export function postPinned(
  url: URL,
  pinned: { address: string; family: number },
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<SendResult> {
  const started = performance.now();
  const lookupPinned: LookupFunction = (_host, opts, cb) => {
    if ((opts as { all?: boolean }).all) {
      (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [pinned]);
    } else cb(null, pinned.address, pinned.family);
  };
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
        lookup: lookupPinned,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const finish = () => {
          const text = Buffer.concat(chunks).toString('utf8').slice(0, EXCERPT_CHARS);
          done({ status: res.statusCode ?? null, error: null, excerpt: text || null });
          res.destroy();
        };
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= RESPONSE_READ_LIMIT) chunks.push(c);
          else finish();
        });
        res.on('end', finish);
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
