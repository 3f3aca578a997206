/**
 * The console's one way to talk to the server.
 * - cookies travel with every request; writes carry X-CSRF-Token;
 * - errors come back as ApiError built from the server's problem+json;
 * - a 401 asks the shell to sign the user in again (a dialog over the current
 *   screen, which keeps its unsaved state), then retries the request once.
 */

export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldError[];
  /** For a stale version (409): the record as it is now. */
  readonly current: unknown;
  readonly body: Record<string, unknown>;

  constructor(status: number, body: Record<string, unknown>) {
    const detail = typeof body.detail === 'string' ? body.detail : `Request failed (${status})`;
    super(detail);
    this.status = status;
    this.title = typeof body.title === 'string' ? body.title : 'Error';
    this.detail = detail;
    this.errors = Array.isArray(body.errors)
      ? (body.errors as unknown[])
          .filter((e): e is FieldError => typeof e === 'object' && e !== null && 'field' in e)
          .map((e) => ({ field: String(e.field), message: String(e.message ?? 'invalid') }))
      : [];
    this.current = body.current;
    this.body = body;
  }

  /** The message for one field (dotted paths match their first part too: `phones.0.number` → `phones`). */
  fieldMessage(field: string): string | undefined {
    return this.errors.find((e) => e.field === field)?.message;
  }

  get isStale(): boolean {
    return this.status === 409 && this.current !== undefined;
  }
}

/** Field errors as a map, for forms. Unknown fields are kept under their own name. */
export function fieldErrors(err: unknown): Record<string, string> {
  if (!(err instanceof ApiError)) return {};
  const out: Record<string, string> = {};
  for (const e of err.errors) if (!(e.field in out)) out[e.field] = e.message;
  return out;
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.detail;
  if (err instanceof Error) return err.message;
  return String(err);
}

let csrfToken: string | null = null;
let reauth: (() => Promise<void>) | null = null;
let pendingReauth: Promise<void> | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** The shell registers how to sign in again; the returned promise resolves once signed in. */
export function setReauthHandler(fn: (() => Promise<void>) | null): void {
  reauth = fn;
}

/** Every caller waiting on a 401 shares one sign-in dialog. */
function signInAgain(): Promise<void> {
  if (!reauth) return Promise.reject(new ApiError(401, { detail: 'Signed out' }));
  if (!pendingReauth) {
    pendingReauth = reauth().finally(() => {
      pendingReauth = null;
    });
  }
  return pendingReauth;
}

export type Query = Record<string, string | number | boolean | null | undefined | string[]>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** The version read, sent as If-Match. */
  version?: number;
  signal?: AbortSignal;
  /** Do not prompt for sign-in on 401 (the sign-in call itself). */
  noReauth?: boolean;
}

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) for (const item of v) params.append(k, item);
    else params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `${path}${path.includes('?') ? '&' : '?'}${s}` : path;
}

const WRITE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

async function send(method: string, path: string, opts: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (WRITE.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  if (opts.version !== undefined) headers['If-Match'] = `"${opts.version}"`;
  return fetch(withQuery(path, opts.query), {
    method,
    headers,
    credentials: 'same-origin',
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: opts.signal,
  });
}

async function parse(res: Response): Promise<unknown> {
  if (res.status === 204) return undefined;
  const text = await res.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return { detail: text };
  }
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  let res = await send(method, path, opts);
  if (res.status === 401 && !opts.noReauth) {
    await signInAgain();
    res = await send(method, path, opts);
  } else if (res.status === 403 && WRITE.has(method)) {
    // A CSRF token from an older session (another tab signed in again): refresh it once.
    const body = (await parse(res.clone())) as { detail?: string } | undefined;
    if (body?.detail?.includes('CSRF')) {
      await refreshCsrf();
      res = await send(method, path, opts);
    }
  }
  const body = await parse(res);
  if (!res.ok) throw new ApiError(res.status, (body ?? {}) as Record<string, unknown>);
  return body as T;
}

async function refreshCsrf(): Promise<void> {
  const res = await send('GET', '/api/v1/me', {});
  if (res.ok) {
    const me = (await res.json()) as { csrfToken: string | null };
    csrfToken = me.csrfToken;
  }
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>('GET', path, { query, signal }),
  post: <T>(path: string, body?: unknown, opts: Omit<RequestOptions, 'body'> = {}) =>
    request<T>('POST', path, { ...opts, body: body ?? {} }),
  patch: <T>(path: string, body: unknown, version?: number) => request<T>('PATCH', path, { body, version }),
  put: <T>(path: string, body: unknown, version?: number) => request<T>('PUT', path, { body, version }),
  del: (path: string, version?: number) => request<void>('DELETE', path, { version }),
};

export type { Page } from './apiTypes.js';
