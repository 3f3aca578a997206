import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { asSentence, plainMessage, type ValidatorError } from './messages.js';

/** A field-level validation message, as problem+json's `errors` carries it. */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * Errors are values with a type, mapped once to RFC 9457 problem+json.
 * Services throw these; nothing else reaches a client as a 4xx.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
  }
}

export class NotFound extends AppError {
  constructor(what: string) {
    super(404, 'Not Found', `${what} was not found`);
  }
}

export class Invalid extends AppError {
  constructor(
    readonly errors: FieldError[],
    detail = errors.map((e) => `${e.field}: ${e.message}`).join('; '),
  ) {
    super(400, 'Invalid input', detail, { errors });
  }
}

/** A unique clash (names the field) or a stale version (carries the current record). */
export class Conflict extends AppError {
  constructor(detail: string, extra: Record<string, unknown> = {}) {
    super(409, 'Conflict', detail, extra);
  }
  static field(field: string, detail = `${field} is already used by another record`): Conflict {
    return new Conflict(detail, { errors: [{ field, message: detail }] });
  }
  static stale(current: unknown): Conflict {
    return new Conflict('The record was changed by someone else since you read it', {
      errors: [{ field: 'version', message: 'stale version' }],
      current,
    });
  }
}

export class Forbidden extends AppError {
  constructor(detail = 'You do not have the privilege for this action', extra: Record<string, unknown> = {}) {
    super(403, 'Forbidden', detail, extra);
  }
}

export class Unauthenticated extends AppError {
  constructor(detail = 'Sign in or send an API key') {
    super(401, 'Unauthorized', detail);
  }
}

export class TooManyRequests extends AppError {
  constructor(
    readonly retryAfterSeconds: number,
    detail = `Too many attempts; try again in ${retryAfterSeconds} seconds`,
  ) {
    super(429, 'Too Many Requests', detail);
  }
}

/** Precondition problems, e.g. a write without the version it read. */
export class PreconditionRequired extends AppError {
  constructor(detail = 'Send the version you read (If-Match header or `version` in the body)') {
    super(428, 'Precondition Required', detail, { errors: [{ field: 'version', message: 'required' }] });
  }
}

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * PostgreSQL error → AppError, for the errors a request can cause:
 * unique violations on indexes named `uq__<table>__<column>` name the field.
 */
export function fromDatabaseError(err: unknown): AppError | null {
  const e = err as { code?: string; constraint?: string; message?: string; detail?: string };
  if (typeof e?.code !== 'string') return null;
  if (e.code === '23505') {
    const m = /^uq__[a-z0-9_]+?__(.+)$/.exec(e.constraint ?? '');
    // Custom fields: uq__<table>__cf_<key> (the key kept as is) → customFields.<key>.
    const cf = m && /^cf_([a-z][a-zA-Z0-9_]*)$/.exec(m[1]);
    const field = cf ? `customFields.${cf[1]}` : m ? camel(m[1]) : 'id';
    return Conflict.field(field);
  }
  if (e.code === '23503') {
    // Deleting a record others still point at: say what holds it.
    const holder = /still referenced from table "([^"]+)"/.exec(e.detail ?? '');
    if (holder) {
      return new Conflict(`This record still has ${holder[1].replace(/_/g, ' ')}; remove or move them first`);
    }
    // Writing a reference to a record that does not exist: name the field.
    const key = /^Key \(([a-z_]+)\)=/.exec(e.detail ?? '');
    if (key) return new Invalid([{ field: camel(key[1]), message: 'no such record' }]);
    return new Conflict('A referenced record does not exist or is still in use');
  }
  if (e.code === '22P02' || e.code === '22007' || e.code === '22008' || e.code === '22003') {
    return new Invalid([{ field: 'input', message: 'invalid value' }]);
  }
  if (e.code === '57014') return new AppError(503, 'Service Unavailable', 'The query took too long; narrow it');
  return null;
}

function fieldFromInstancePath(instancePath: string, params: Record<string, unknown>): string {
  const base = instancePath.replace(/^\//, '').replace(/\//g, '.');
  const extra = (params.missingProperty ?? params.additionalProperty ?? params.propertyName) as string | undefined;
  if (extra) return base ? `${base}.${extra}` : extra;
  return base || 'body';
}

/**
 * The validator's failures → one plain sentence per field (messages.ts). A
 * union (an optional or nullable value) fails once per branch: a specific
 * reason (too long, a bad format) wins over "must be text / must be empty",
 * the kinds of value are named together, and the union's own failure is only
 * the last resort.
 */
function plainValidationErrors(failures: { field: string; error: ValidatorError }[]): FieldError[] {
  const byField = new Map<string, ValidatorError[]>();
  for (const f of failures) {
    const list = byField.get(f.field) ?? [];
    list.push(f.error);
    byField.set(f.field, list);
  }
  const out: FieldError[] = [];
  for (const [field, errs] of byField) {
    const specific = errs.find((e) => !['type', 'const', 'anyOf', 'oneOf'].includes(e.keyword));
    const consts = errs.filter((e) => e.keyword === 'const').map((e) => e.params?.allowedValue);
    const types = errs.filter((e) => e.keyword === 'type').flatMap((e) => String(e.params?.type ?? '').split(','));
    const chosen: ValidatorError =
      specific ??
      (consts.length > 1 || (consts.length === 1 && types.length > 0)
        ? { keyword: 'enum', params: { allowedValues: [...new Set(consts)] } }
        : consts.length === 1
          ? { keyword: 'const', params: { allowedValue: consts[0] } }
          : types.length > 0
            ? { keyword: 'type', params: { type: [...new Set(types)] } }
            : errs[0]);
    out.push({ field, message: plainMessage(chosen, field) });
  }
  return out;
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    let problem: AppError | null;
    if (error instanceof AppError) problem = error;
    else if (error.validation) {
      const where = error.validationContext ?? 'body';
      const errors = plainValidationErrors(
        error.validation.map((v) => {
          const params = (v.params ?? {}) as Record<string, unknown>;
          let field = fieldFromInstancePath(v.instancePath ?? '', params);
          if (where !== 'body' && field === 'body') field = where;
          return { field, error: { keyword: v.keyword, params, message: v.message } };
        }),
      );
      problem = new Invalid(errors);
    } else {
      problem = fromDatabaseError(error);
      if (!problem && typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
        const titles: Record<number, string> = {
          400: 'Bad Request',
          404: 'Not Found',
          405: 'Method Not Allowed',
          413: 'Content Too Large',
          415: 'Unsupported Media Type',
        };
        problem = new AppError(error.statusCode, titles[error.statusCode] ?? 'Bad Request', error.message);
      }
    }
    if (problem instanceof Invalid) {
      // Services name fields with short fragments ("has no digits"): a person reads a sentence.
      problem = new Invalid(problem.errors.map((e) => ({ field: e.field, message: asSentence(e.field, e.message) })));
    }
    if (!problem) {
      request.log.error({ err: error }, 'unhandled error');
      problem = new AppError(500, 'Internal Server Error', 'Something went wrong; the error was logged');
    }
    if (problem instanceof TooManyRequests) reply.header('Retry-After', String(problem.retryAfterSeconds));
    return reply
      .status(problem.status)
      .type('application/problem+json')
      .send({
        type: 'about:blank',
        title: problem.title,
        status: problem.status,
        detail: problem.message,
        ...problem.extra,
      });
  });
  // Every route's method and path, so a known path asked with another method is a 405 naming what is allowed.
  const routes: { method: string; pattern: RegExp }[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const source = route.url
      .split('/')
      .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    const pattern = new RegExp(`^${source}/?$`);
    for (const method of methods) routes.push({ method: String(method).toUpperCase(), pattern });
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const allowed = [...new Set(routes.filter((r) => r.pattern.test(path)).map((r) => r.method))];
    if (allowed.length > 0 && !allowed.includes(request.method) && !path.endsWith('/*')) {
      return reply
        .status(405)
        .header('allow', allowed.sort().join(', '))
        .type('application/problem+json')
        .send({
          type: 'about:blank',
          title: 'Method Not Allowed',
          status: 405,
          detail: `${request.method} is not allowed on ${path}; allowed: ${allowed.sort().join(', ')}`,
        });
    }
    return reply
      .status(404)
      .type('application/problem+json')
      .send({
        type: 'about:blank',
        title: 'Not Found',
        status: 404,
        detail: `No route ${request.method} ${path}`,
      });
  });
}

/**
 * Errors the framework raises before any route is found (a badly percent-encoded
 * path, a failed route constraint): the same problem+json as every other error.
 * Passed to Fastify as `frameworkErrors`.
 */
export function frameworkErrorHandler(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  reply
    .code(status)
    .type('application/problem+json')
    .send({ type: 'about:blank', title: 'Bad Request', status, detail: 'The request path is not valid' });
}
