/**
 * The Support Center's client for /api/portal: the portal cookie travels with
 * every request (same origin), writes carry X-CSRF-Token, errors come back as
 * PortalError from the server's problem+json.
 */

export interface FieldError {
  field: string;
  message: string;
}

export class PortalError extends Error {
  readonly status: number;
  readonly errors: FieldError[];

  constructor(status: number, body: Record<string, unknown>) {
    super(typeof body.detail === 'string' ? body.detail : `Request failed (${status})`);
    this.status = status;
    this.errors = Array.isArray(body.errors)
      ? (body.errors as { field?: unknown; message?: unknown }[]).map((e) => ({
          field: String(e.field ?? ''),
          message: String(e.message ?? 'invalid'),
        }))
      : [];
  }
}

export function errorText(err: unknown): string {
  if (err instanceof PortalError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

let csrfToken: string | null = null;
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  const data = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) throw new PortalError(res.status, (data ?? {}) as Record<string, unknown>);
  return data as T;
}

export type {
  Page,
  PortalCase,
  PortalFaqArticle,
  PortalFaqCategory,
  PortalFaqSummary,
  PortalFollowUp,
  PortalMe as Me,
} from '../apiTypes.js';

export function formatDate(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
